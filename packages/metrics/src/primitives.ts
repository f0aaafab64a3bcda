// Numeric building blocks with the exact semantics of the numpy / sklearn calls MMSA's MetricsTop makes.

/** Throws unless `a` and `b` are non-empty, equally long and hold only finite numbers. */
export function checkPaired(
  context: string,
  names: readonly [string, string],
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): void {
  if (a.length !== b.length) {
    throw new Error(`${context}: ${names[0]} has length ${a.length} but ${names[1]} has length ${b.length}`);
  }
  if (a.length === 0) throw new Error(`${context}: ${names[0]} and ${names[1]} are empty`);
  checkFinite(context, names[0], a);
  checkFinite(context, names[1], b);
}

function checkFinite(context: string, name: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    if (!Number.isFinite(value)) throw new Error(`${context}: ${name}[${i}] is ${value}; expected a finite number`);
  }
}

/**
 * numpy.round / numpy.rint to an integer: nearest integer, exact .5 ties to the EVEN neighbour
 * (0.5 → 0, 1.5 → 2, 2.5 → 2, -0.5 → -0). Like numpy, negatives that round to zero give -0 (which `===` 0).
 */
export function roundHalfEven(x: number): number {
  const nearest = Math.round(x); // ties toward +∞; `nearest - x` is exact for every double
  return nearest - x === 0.5 && nearest % 2 !== 0 ? nearest - 1 : nearest;
}

/** sklearn accuracy_score: fraction of positions where the two label vectors agree (symmetric in its arguments). */
export function accuracy(truth: ArrayLike<number>, preds: ArrayLike<number>): number {
  checkPaired('accuracy', ['truth', 'preds'], truth, preds);
  let hits = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === preds[i]) hits++;
  return hits / truth.length;
}

/**
 * sklearn f1_score(truth, preds, average='weighted'): per-class F1 = 2·tp / (2·tp + fp + fn) over every label
 * seen in truth ∪ preds, averaged with weights = the class's support (count in truth). A class never predicted
 * correctly scores 0, which is what sklearn's default zero_division yields (it also warns); labels present only in
 * preds have support 0 and so weight 0.
 */
export function weightedF1(truth: ArrayLike<number>, preds: ArrayLike<number>): number {
  checkPaired('weightedF1', ['truth', 'preds'], truth, preds);
  const counts = new Map<number, { truePositives: number; predicted: number; support: number }>();
  const countsOf = (label: number) => {
    let entry = counts.get(label);
    if (!entry) counts.set(label, (entry = { truePositives: 0, predicted: 0, support: 0 }));
    return entry;
  };
  for (let i = 0; i < truth.length; i++) {
    const actual = truth[i] as number;
    const predicted = preds[i] as number;
    countsOf(actual).support++;
    countsOf(predicted).predicted++;
    if (actual === predicted) countsOf(actual).truePositives++;
  }
  let weighted = 0;
  for (const { truePositives, predicted, support } of counts.values()) {
    // fp + fn = (predicted - tp) + (support - tp); the denominator is > 0 for any label that occurs.
    weighted += support * ((2 * truePositives) / (predicted + support));
  }
  return weighted / truth.length;
}

/**
 * numpy.corrcoef(x, y)[0][1]: Pearson correlation of mean-centred values, clipped to [-1, 1] as numpy does.
 * A constant vector (or a single sample) has zero variance: numpy returns nan with a RuntimeWarning, and so
 * this returns NaN.
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPaired('pearson', ['x', 'y'], x, y);
  const n = x.length;
  let sumX = 0;
  let sumY = 0;
  for (let i = 0; i < n; i++) {
    sumX += x[i] as number;
    sumY += y[i] as number;
  }
  const meanX = sumX / n;
  const meanY = sumY / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - meanX;
    const dy = (y[i] as number) - meanY;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const r = sxy / Math.sqrt(sxx) / Math.sqrt(syy);
  return Number.isNaN(r) ? r : Math.min(1, Math.max(-1, r));
}

/** numpy.mean(numpy.absolute(preds - truth)). */
export function meanAbsoluteError(preds: ArrayLike<number>, truth: ArrayLike<number>): number {
  checkPaired('meanAbsoluteError', ['preds', 'truth'], preds, truth);
  let sum = 0;
  for (let i = 0; i < preds.length; i++) sum += Math.abs((preds[i] as number) - (truth[i] as number));
  return sum / preds.length;
}
