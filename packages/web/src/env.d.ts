// Next's ambient types, so that `tsc -p packages/web` works before `next` has generated next-env.d.ts.
/// <reference types="next" />
/// <reference types="next/image-types/global" />
