import type { Preprocessing, StartingPoint } from '@headstart/core';

/** What a run's data takes from the model it starts from: its preprocessing, input shape and column order. */
export interface InheritedData {
  preprocessing?: Preprocessing | undefined;
  inputShape?: number[] | undefined;
  featureNames?: string[] | undefined;
}

/** {@link InheritedData} of a starting point (`--from`, or a pipeline's previous stage). */
export function inheritedFrom(from: StartingPoint | undefined): InheritedData | undefined {
  return from
    ? { preprocessing: from.preprocessing, inputShape: from.spec.inputShape, featureNames: from.manifest?.featureNames }
    : undefined;
}
