import { type Experiment, MASKED_LM_SOURCE } from '../experiment/experiment.js';
import { SPAM_CORPUS_CREDIT } from './spam-corpus.js';

/** Tunables of the text demo: the sizes it runs at, small enough for a few minutes on two cores. */
export interface TextDemoSizes {
  /** Epochs of masked-language modelling, for the source encoder and inside pretrain-finetune. */
  pretrainEpochs: number;
  budgets: number[];
  seeds: number[];
  /** Tokens a message keeps (its subject and first words). */
  maxLength: number;
  /** Tokens of the vocabulary built from the messages. */
  vocabSize: number;
  /** Epochs of every supervised phase (default: the strategies' own, chosen for the data's size). */
  epochs?: number | undefined;
}

/** The sizes `headstart demo --task text` runs at. */
export const TEXT_DEMO_SIZES: TextDemoSizes = {
  pretrainEpochs: 3,
  budgets: [4, 16, 64],
  seeds: [1, 2, 3],
  maxLength: 32,
  vocabSize: 1000,
  epochs: 40,
};

/**
 * The text demo's question on the SpamAssassin messages: an encoder pre-trained without labels on
 * the messages (masked-language modelling), then ham or spam learnt from a few labelled messages
 * each, by each strategy; the test messages are held out of everything, pre-training included.
 */
export function textExperiment(data: string, sizes: TextDemoSizes = TEXT_DEMO_SIZES): Experiment {
  const mlm = { pretrainEpochs: sizes.pretrainEpochs };
  const fit = sizes.epochs === undefined ? {} : { epochs: sizes.epochs };
  return {
    name: 'SpamAssassin: ham or spam',
    data,
    label: 'label',
    text: { column: 'text', maxLength: sizes.maxLength, vocabSize: sizes.vocabSize },
    source: {
      strategy: MASKED_LM_SOURCE,
      options: mlm,
      description: `Pre-trained as a masked-language model (${sizes.pretrainEpochs} epochs) on the training messages without their labels`,
    },
    target: { labels: ['ham', 'spam'], testFraction: 0.3, budgets: sizes.budgets },
    arms: [
      { name: 'full-retrain', strategy: 'full-retrain', options: fit, from: 'none' },
      {
        name: 'frozen-base',
        strategy: 'frozen-base',
        options: fit,
        from: 'source',
        description: 'keeping the pre-trained encoder frozen and training only a new head',
      },
      { name: 'continued', strategy: 'continued', options: fit, from: 'source', description: 'fine-tuning all of the pre-trained encoder' },
      { name: 'lora', strategy: 'lora', options: fit, from: 'source' },
      {
        name: 'pretrain-finetune',
        strategy: 'pretrain-finetune',
        options: { ...mlm, ...fit, objective: 'mlm' },
        from: 'none',
        description: 'masked-language modelling and then fine-tuning, in one run',
      },
    ],
    seeds: sizes.seeds,
    credit: SPAM_CORPUS_CREDIT,
  };
}
