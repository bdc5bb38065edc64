using System.Collections.Immutable;
using StrategyLab.Runtime.Data.Synthetic;

namespace StrategyLab.Runtime.Search.Statistics;

/// <summary>How combinatorially symmetric cross-validation scores a trial on a set of rows.</summary>
public enum CscvMeasure
{
    /// <summary>Per-period Sharpe μ/σ (sample σ, n − 1), as <see cref="SharpeStatistics.Moments"/> defines it.</summary>
    Sharpe,
    /// <summary>Mean return per period.</summary>
    MeanReturn,
}

/// <summary>A trial's performance on the rows given (in time order), higher better.</summary>
public delegate double TrialPerformance(ReadOnlySpan<double> returns);

/// <summary>
/// Settings of <see cref="BacktestOverfitting.Estimate"/>.
/// Example: <c>new CscvOptions { Blocks = 16, MaxCombinations = 5000, Seed = 7 }</c>.
/// </summary>
public sealed record CscvOptions
{
    /// <summary>S, the number of equal blocks the rows are cut into; even, at least 2 (the paper suggests 16).</summary>
    public int Blocks { get; init; } = 16;

    /// <summary>The performance measure, unless <see cref="CustomMeasure"/> is given.</summary>
    public CscvMeasure Measure { get; init; } = CscvMeasure.Sharpe;

    /// <summary>A measure of one's own, given each trial's in-sample or out-of-sample rows; slower than the built-in ones.</summary>
    public TrialPerformance? CustomMeasure { get; init; }

    /// <summary>
    /// Evaluates at most this many of the C(S, S/2) splits, drawn uniformly without replacement (seeded);
    /// null evaluates all of them, which is allowed up to 1,000,000 splits (S ≤ 22).
    /// </summary>
    public int? MaxCombinations { get; init; }

    /// <summary>Seed of the draw of splits when <see cref="MaxCombinations"/> is below C(S, S/2).</summary>
    public ulong Seed { get; init; }
}

/// <summary>
/// One split of CSCV: the in-sample blocks (the other half is out of sample), the trial best in sample,
/// its performance in and out of sample, its relative rank ω among all trials out of sample, and λ = ln(ω / (1 − ω)).
/// </summary>
public sealed record CscvSplit(ImmutableArray<int> InSampleBlocks, int Selected, double InSample, double OutOfSample, double RelativeRank, double Logit);

/// <summary>
/// The probability of backtest overfitting by combinatorially symmetric cross-validation (Bailey,
/// Borwein, López de Prado and Zhu 2017, "The Probability of Backtest Overfitting", Journal of
/// Computational Finance 20(4)); with the performance degradation and probability of loss the paper
/// defines alongside it.
/// </summary>
/// <param name="Probability">PBO = share of splits with λ ≤ 0: the trial best in sample ranks at or below the median out of sample.</param>
/// <param name="Splits">Every split evaluated, in lexicographic order of their in-sample blocks.</param>
/// <param name="DegradationSlope">β of the least-squares line OOS = α + β·IS over the selected trials' (in-sample, out-of-sample) pairs; β &lt; 0 means the better a trial looked in sample, the worse it did out of sample. NaN when the in-sample values do not vary or are not finite.</param>
/// <param name="DegradationIntercept">α of that line.</param>
/// <param name="ProbabilityOfLoss">Share of splits whose selected trial has an out-of-sample performance below 0.</param>
/// <param name="Trials">N, the trials (columns).</param>
/// <param name="Blocks">S.</param>
/// <param name="RowsPerBlock">Rows in each block.</param>
/// <param name="RowsDropped">The earliest T mod S rows, left out so that the blocks are equal.</param>
/// <param name="AllCombinations">C(S, S/2).</param>
public sealed record BacktestOverfitting(
    double Probability,
    ImmutableArray<CscvSplit> Splits,
    double DegradationSlope,
    double DegradationIntercept,
    double ProbabilityOfLoss,
    int Trials,
    int Blocks,
    int RowsPerBlock,
    int RowsDropped,
    long AllCombinations)
{
    private const long ExactLimit = 1_000_000;

    /// <summary>True when only a random draw of the C(S, S/2) splits was evaluated.</summary>
    public bool Sampled => Splits.Length < AllCombinations;

    /// <summary>The λ of every split: the distribution whose mass at or below 0 is the PBO.</summary>
    public ImmutableArray<double> Logits => Splits.Select(s => s.Logit).ToImmutableArray();

    /// <summary>
    /// Runs CSCV on the T × N matrix whose columns are the trials' per-period returns (or any
    /// per-period performance), all of the same length T. The rows are cut into S equal blocks in time
    /// order (the earliest T mod S rows left out). For every choice of S/2 blocks as the in-sample set J (the
    /// rest, J̄, out of sample, both kept in time order): the trial n* best on J by the measure (the first
    /// on ties), its rank among all trials on J̄ (ties share their mean rank), ω = rank / (N + 1) so that
    /// ω ∈ (0, 1) and ω ≤ 1/2 exactly when n* is at or below the out-of-sample median, and λ = ln(ω / (1 − ω)).
    /// </summary>
    public static BacktestOverfitting Estimate(IReadOnlyList<double[]> trialReturns, CscvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(trialReturns);
        options ??= new CscvOptions();
        var s = options.Blocks;
        if (s < 2 || s % 2 != 0 || s > 62)
            throw new ArgumentOutOfRangeException(nameof(options), s, "CSCV needs an even number of blocks from 2 to 62");
        var (n, t) = CheckMatrix(trialReturns);
        var rowsPerBlock = t / s;
        if (rowsPerBlock < 1 || rowsPerBlock * s / 2 < 2)
            throw new ArgumentException($"{t} rows are too few for {s} blocks: each half needs at least 2 rows");
        var dropped = t - (rowsPerBlock * s);
        var all = Binomial(s, s / 2);
        var combinations = ChooseSplits(s, all, options);
        var scorer = new SplitScorer(trialReturns, s, rowsPerBlock, dropped, options);
        var splits = ImmutableArray.CreateBuilder<CscvSplit>(combinations.Count);
        foreach (var inSample in combinations)
            splits.Add(scorer.Score(inSample));
        var (slope, intercept) = Degradation(splits);
        var pbo = splits.Count(x => x.Logit <= 0) / (double)splits.Count;
        var loss = splits.Count(x => x.OutOfSample < 0) / (double)splits.Count;
        return new BacktestOverfitting(pbo, splits.MoveToImmutable(), slope, intercept, loss, n, s, rowsPerBlock, dropped, all);
    }

    private static (int Trials, int Rows) CheckMatrix(IReadOnlyList<double[]> trialReturns)
    {
        if (trialReturns.Count < 2)
            throw new ArgumentException($"CSCV needs at least 2 trials, found {trialReturns.Count}", nameof(trialReturns));
        var t = trialReturns[0].Length;
        for (var j = 0; j < trialReturns.Count; j++)
        {
            var column = trialReturns[j];
            if (column.Length != t)
                throw new ArgumentException($"trial {j} has {column.Length} returns, trial 0 has {t}: every trial needs the same rows", nameof(trialReturns));
            for (var r = 0; r < t; r++)
                if (!double.IsFinite(column[r]))
                    throw new ArgumentException($"trial {j} has return {column[r]} at row {r}, not a finite number", nameof(trialReturns));
        }
        return (trialReturns.Count, t);
    }

    // the in-sample halves as bit masks over blocks, in lexicographic order of their sorted block indices
    private static List<ulong> ChooseSplits(int s, long all, CscvOptions options)
    {
        var cap = options.MaxCombinations;
        if (cap is < 1)
            throw new ArgumentOutOfRangeException(nameof(options), cap, "MaxCombinations must be at least 1");
        if (cap is null && all > ExactLimit)
            throw new ArgumentException($"{s} blocks make {all} splits, more than the {ExactLimit} evaluated exactly: set MaxCombinations to draw a sample");
        var wanted = (int)Math.Min(all, cap ?? all);
        if (wanted == all)
            return Enumerate(s);
        var rng = new SplitMix64(options.Seed);
        List<ulong> chosen;
        if (all <= ExactLimit)
        {
            // a partial Fisher–Yates over all splits, then back into lexicographic order
            var every = Enumerate(s);
            for (var i = 0; i < wanted; i++)
            {
                var k = i + (int)(rng.Uniform() * (every.Count - i));
                (every[i], every[k]) = (every[k], every[i]);
            }
            chosen = every.GetRange(0, wanted);
        }
        else
        {
            var seen = new HashSet<ulong>();
            chosen = new List<ulong>(wanted);
            var blocks = Enumerable.Range(0, s).ToArray();
            while (chosen.Count < wanted)
            {
                ulong mask = 0;
                for (var i = 0; i < s / 2; i++)
                {
                    var k = i + (int)(rng.Uniform() * (s - i));
                    (blocks[i], blocks[k]) = (blocks[k], blocks[i]);
                    mask |= 1UL << blocks[i];
                }
                if (seen.Add(mask))
                    chosen.Add(mask);
            }
        }
        chosen.Sort(CompareLexicographic);
        return chosen;
    }

    private static List<ulong> Enumerate(int s)
    {
        var result = new List<ulong>();
        var index = Enumerable.Range(0, s / 2).ToArray();
        while (true)
        {
            ulong mask = 0;
            foreach (var b in index)
                mask |= 1UL << b;
            result.Add(mask);
            var i = index.Length - 1;
            while (i >= 0 && index[i] == s - index.Length + i)
                i--;
            if (i < 0)
                return result;
            index[i]++;
            for (var j = i + 1; j < index.Length; j++)
                index[j] = index[j - 1] + 1;
        }
    }

    // sets of equal size compare as their sorted members: the one holding the smallest block the other lacks comes first
    private static int CompareLexicographic(ulong a, ulong b)
    {
        if (a == b)
            return 0;
        var lowest = a ^ b;
        lowest &= ~lowest + 1;
        return (a & lowest) != 0 ? -1 : 1;
    }

    private static long Binomial(int n, int k)
    {
        long c = 1;
        for (var i = 1; i <= k; i++)
            c = c * (n - k + i) / i;
        return c;
    }

    private static (double Slope, double Intercept) Degradation(IReadOnlyList<CscvSplit> splits)
    {
        double mx = 0, my = 0;
        foreach (var x in splits)
        {
            mx += x.InSample;
            my += x.OutOfSample;
        }
        mx /= splits.Count;
        my /= splits.Count;
        double sxx = 0, sxy = 0;
        foreach (var x in splits)
        {
            sxx += (x.InSample - mx) * (x.InSample - mx);
            sxy += (x.InSample - mx) * (x.OutOfSample - my);
        }
        if (!(sxx > 0) || !double.IsFinite(sxx) || !double.IsFinite(sxy))
            return (double.NaN, double.NaN);
        var slope = sxy / sxx;
        return (slope, my - (slope * mx));
    }

    /// <summary>Scores all trials on one split's halves, from per-block moments or by the custom measure.</summary>
    private sealed class SplitScorer
    {
        private readonly IReadOnlyList<double[]> _returns;
        private readonly int _blocks;
        private readonly int _rowsPerBlock;
        private readonly int _firstRow;
        private readonly CscvMeasure _measure;
        private readonly TrialPerformance? _custom;
        private readonly double[] _blockMean;
        private readonly double[] _blockM2;
        private readonly double[] _inSample;
        private readonly double[] _outOfSample;
        private readonly double[] _rows;

        public SplitScorer(IReadOnlyList<double[]> returns, int blocks, int rowsPerBlock, int firstRow, CscvOptions options)
        {
            _returns = returns;
            _blocks = blocks;
            _rowsPerBlock = rowsPerBlock;
            _firstRow = firstRow;
            _measure = options.Measure;
            _custom = options.CustomMeasure;
            _blockMean = new double[returns.Count * blocks];
            _blockM2 = new double[returns.Count * blocks];
            _inSample = new double[returns.Count];
            _outOfSample = new double[returns.Count];
            _rows = new double[rowsPerBlock * blocks / 2];
            if (_custom is null)
                FillBlockMoments();
        }

        public CscvSplit Score(ulong inSampleMask)
        {
            var full = (1UL << _blocks) - 1;
            for (var j = 0; j < _returns.Count; j++)
            {
                _inSample[j] = Measure(j, inSampleMask);
                _outOfSample[j] = Measure(j, full & ~inSampleMask);
            }
            var selected = 0;
            for (var j = 1; j < _inSample.Length; j++)
                if (_inSample[j] > _inSample[selected])
                    selected = j;
            var omega = MeanRank(_outOfSample, selected) / (_returns.Count + 1);
            var blocks = Enumerable.Range(0, _blocks).Where(b => (inSampleMask & (1UL << b)) != 0).ToImmutableArray();
            return new CscvSplit(blocks, selected, _inSample[selected], _outOfSample[selected], omega, Math.Log(omega / (1 - omega)));
        }

        // 1 + the trials below plus half of the others tied with it: the mean of the ranks the ties share
        private static double MeanRank(double[] values, int index)
        {
            double below = 0, tied = 0;
            var v = values[index];
            for (var j = 0; j < values.Length; j++)
            {
                if (values[j] < v)
                    below++;
                else if (values[j] == v && j != index)
                    tied++;
            }
            return 1 + below + (tied / 2);
        }

        private double Measure(int trial, ulong mask)
        {
            if (_custom is not null)
            {
                var column = _returns[trial];
                var at = 0;
                for (var b = 0; b < _blocks; b++)
                {
                    if ((mask & (1UL << b)) == 0)
                        continue;
                    column.AsSpan(_firstRow + (b * _rowsPerBlock), _rowsPerBlock).CopyTo(_rows.AsSpan(at));
                    at += _rowsPerBlock;
                }
                return _custom(_rows);
            }
            // Chan, Golub and LeVeque's pairwise update merges the blocks' means and squared deviations
            double n = 0, mean = 0, m2 = 0;
            for (var b = 0; b < _blocks; b++)
            {
                if ((mask & (1UL << b)) == 0)
                    continue;
                var k = (trial * _blocks) + b;
                var total = n + _rowsPerBlock;
                var delta = _blockMean[k] - mean;
                mean += delta * _rowsPerBlock / total;
                m2 += _blockM2[k] + (delta * delta * n * _rowsPerBlock / total);
                n = total;
            }
            if (_measure == CscvMeasure.MeanReturn)
                return mean;
            if (m2 == 0)
                return mean == 0 ? 0 : mean * double.PositiveInfinity;
            return mean / Math.Sqrt(m2 / (n - 1));
        }

        private void FillBlockMoments()
        {
            for (var j = 0; j < _returns.Count; j++)
            {
                for (var b = 0; b < _blocks; b++)
                {
                    var rows = _returns[j].AsSpan(_firstRow + (b * _rowsPerBlock), _rowsPerBlock);
                    double sum = 0;
                    foreach (var r in rows)
                        sum += r;
                    var mean = sum / rows.Length;
                    double m2 = 0;
                    foreach (var r in rows)
                        m2 += (r - mean) * (r - mean);
                    _blockMean[(j * _blocks) + b] = mean;
                    _blockM2[(j * _blocks) + b] = m2;
                }
            }
        }
    }
}
