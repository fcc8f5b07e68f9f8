const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('node:path');

// The same bundle pattern as apps/worker: the libs are TypeScript behind path aliases, and the bundle
// resolves them once at build time, so `node dist/apps/cli/main.js` needs no ts-node or alias loader at
// run time and can ship next to the other bundles (deploy/Dockerfile copies dist/apps/<app>).
module.exports = {
  output: { path: join(__dirname, '../../dist/apps/cli') },
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: './src/main.ts',
      tsConfig: './tsconfig.app.json',
      optimization: false,
      outputHashing: 'none',
      generatePackageJson: true,
      sourceMap: true,
    }),
  ],
};
