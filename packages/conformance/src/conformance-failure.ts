/** A conformance check that found a backend doing something other than expected. */
export class ConformanceFailure extends Error {
  override readonly name = 'ConformanceFailure';
}
