/** A JSON value as nested lists: objects and arrays open by default, one key per line. */
export function AttributeTree(props: { value: unknown }) {
  const { value } = props;
  if (value === null || typeof value !== 'object')
    return <span class={`json-${value === null ? 'null' : typeof value}`}>{JSON.stringify(value)}</span>;
  const items = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  if (items.length === 0) return <span class="muted">{Array.isArray(value) ? '[]' : '{}'}</span>;
  return (
    <ul class="tree">
      {items.map(([key, child]) => (
        <li key={key}>
          <span class="tree-key">{key}</span>: <AttributeTree value={child} />
        </li>
      ))}
    </ul>
  );
}
