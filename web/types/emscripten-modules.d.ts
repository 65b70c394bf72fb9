// The Emscripten modules the build copies beside the library and the app
// (build/wasm/wasm-client/): their factories, untyped.
declare module '*/facegender_wasm.mjs' {
  const createFaceGender: (options?: object) => Promise<any>;
  export default createFaceGender;
}
declare module '*/facegender_inspector.mjs' {
  const createInspector: (options?: object) => Promise<any>;
  export default createInspector;
}
