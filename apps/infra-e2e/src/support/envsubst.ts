/**
 * What the official nginx image's 20-envsubst-on-templates.sh does: envsubst given the name of every
 * variable defined in the container, so $NAME and ${NAME} are replaced for those names only and any
 * other $name (nginx's own variables) is left as it is.
 */
export function envsubst(template: string, env: Record<string, string>): string {
  return template.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, braced?: string, bare?: string) => {
      const name = (braced ?? bare) as string;
      return Object.hasOwn(env, name) ? env[name] : whole;
    },
  );
}
