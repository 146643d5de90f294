// The repository's vitest setup compiles TSX with the classic JSX transform (React.createElement)
// because this package's tsconfig says "jsx": "preserve" for Next. DOM tests import this module
// first so that `React` is in scope for every component they render.
import * as React from "react";

(globalThis as { React?: typeof React }).React = React;
