import type { Model } from '../backend.js';
import { checkPlanData } from '../data/sample-size.js';
import { checkPlanTeacher } from '../train/teacher-feed.js';
import { inferShapes } from '../spec/shapes.js';
import type { EventSink, PlannedParameter } from '../train/events.js';
import type { FitPlan, FitResult } from '../train/fit-plan.js';

/**
 * `--dry-run`'s stand-in for `fit`: report how every parameter would be treated in this phase and
 * return the model untrained, so a multi-phase strategy walks through all its phases.
 */
export async function planOnly(model: Model, plan: FitPlan, stage: number, emit: EventSink): Promise<FitResult> {
  checkPlanData(model, plan);
  checkPlanTeacher(model, plan);
  const trainable = new Set(plan.trainer.trainable);
  const lrOf = new Map(plan.trainer.groups.flatMap((g) => g.params.map((p) => [p, g.lr] as const)));
  const frozenBn = new Set(plan.trainer.frozenBatchNorm ?? []);
  const bnLayers = new Set(
    inferShapes(model.spec)
      .filter((l) => l.layer.type === 'batchNorm')
      .map((l) => l.layer.name),
  );
  const parameters: PlannedParameter[] = model.parameters().map((p) => {
    const layer = p.name.slice(0, p.name.lastIndexOf('.'));
    const entry: PlannedParameter = {
      name: p.name,
      shape: p.shape,
      trains: trainable.has(p.name),
      lr: trainable.has(p.name) ? (lrOf.get(p.name) ?? 0) : 0,
    };
    if (bnLayers.has(layer)) {
      const learns = trainable.has(`${layer}.gamma`) || trainable.has(`${layer}.beta`);
      entry.batchNorm = learns && !frozenBn.has(layer) ? 'train' : 'frozen';
    }
    return entry;
  });
  const { loss, lossOptions } = plan.trainer;
  emit({
    type: 'plan',
    stage,
    phase: plan.phase,
    epochs: plan.epochs,
    loss,
    ...(lossOptions ? { lossOptions } : {}),
    parameters,
    ...(plan.transform ? { transform: plan.transform.name } : {}),
    ...(plan.teacher ? { teacher: plan.teacher.name } : {}),
  });
  return { model, metrics: { loss: Number.NaN }, history: [], epochs: 0, steps: 0, stoppedEarly: false, seconds: 0 };
}
