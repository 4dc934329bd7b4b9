// The two Express majors the suite runs on, installed side by side as npm aliases. Both are typed
// with @types/express (the adapter only uses the parts the majors share).
declare module 'express4' {
  import express from 'express'
  export default express
}
declare module 'express5' {
  import express from 'express'
  export default express
}
