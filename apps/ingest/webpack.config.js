const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('node:path');

// compiler 'tsc' (not esbuild/swc-minify) keeps emitDecoratorMetadata, which Nest needs to inject by type.
module.exports = {
  output: { path: join(__dirname, '../../dist/apps/ingest') },
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
