using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace StrategyLab.Runtime.Models.Gbdt;

/// <summary>The best split found for a leaf: rows with bin ≤ Bin (and NaN when DefaultLeft) go left.</summary>
internal struct SplitCandidate
{
    internal int Feature;
    internal int Bin;
    internal bool DefaultLeft;
    internal double Gain;
    internal double LeftGradient;
    internal double LeftHessian;

    // the leaf had no missing values of the feature: DefaultLeft is then settled by the row counts once partitioned
    internal bool NoMissing;

    internal static SplitCandidate None => new() { Feature = -1, Gain = double.NegativeInfinity };
}

/// <summary>
/// Grows one tree leaf-wise on binned rows from per-row (gradient, hessian) pairs, stored
/// interleaved so that one vector addition updates a histogram bin. Histograms hold (Σg, Σh) per
/// bin, and the row count too where the split rules need it and the hessian does not give it
/// (Σh counts the rows when the hessian is the same for every row). Each feature's histogram is
/// summed by one thread in row order, and only the smaller child of a split is summed, the larger
/// being its parent minus it, so the tree is the same whatever the number of threads. Per split,
/// each thread sums, subtracts and searches its own share of the features in one parallel step.
/// All buffers live as long as the learner.
/// </summary>
internal sealed unsafe class TreeLearner
{
    // histogram entries per feature: up to 255 numeric bins and the missing bin, so that a byte bin indexes it directly
    private const int BinsPerFeature = 256;

    private readonly byte[] _binned;
    private readonly byte[] _columns;
    private readonly FeatureBins _bins;
    private readonly GbdtOptions _options;
    private readonly int _featureCount;
    private readonly int _totalRows;
    // doubles per histogram entry: 2 for (Σg, Σh), 4 for (Σg, Σh, count, unused)
    private readonly int _width;
    private readonly double _constantHessian;
    private readonly double[]?[] _histPool;
    private readonly int[] _leafSlot;
    private readonly int[] _freeSlots;
    private int _freeCount;
    private readonly int[] _leafBegin;
    private readonly int[] _leafCount;
    private readonly int[] _leafDepth;
    private readonly int[] _leafParent;
    private readonly bool[] _leafIsLeft;
    private readonly double[] _leafGradient;
    private readonly double[] _leafHessian;
    private readonly SplitCandidate[] _leafBest;
    // best split per feature of the two leaves searched in one step
    private readonly SplitCandidate[] _featureBestA;
    private readonly SplitCandidate[] _featureBestB;
    private readonly bool[] _featureUsed;
    private readonly int[] _usedFeatures;
    private int _usedCount;
    private readonly int[] _rows;
    private readonly int[] _scratchLeft;
    private readonly int[] _scratchRight;
    private readonly ParallelOptions _parallel;
    private readonly Action<int> _stepGroup;
    private readonly Action<int> _partitionBlock;
    private int _rowCount;
    private bool _identityRows;
    private double[] _gh = [];
    // arguments of the parallel step, kept in fields so that no closure is made per split
    private int _stepGroups, _stepSmall, _stepLarge, _stepSmallSlot, _stepLargeSlot;
    private bool _stepFindSmall, _stepFindLarge;
    // arguments of the parallel partition
    private int _partBlocks, _partBegin, _partCount, _partFeature, _partBin, _partMissing;
    private bool _partMissingLeft;
    private readonly int[] _partLeftCounts;
    private readonly int[] _partRightCounts;

    /// <summary>
    /// A learner for <paramref name="rows"/> binned rows; <paramref name="constantHessian"/> is every
    /// row's hessian when the objective's is constant, else NaN. <paramref name="countRows"/> forces
    /// (true) histograms that count rows; by default they do only where the split rules need it.
    /// </summary>
    internal TreeLearner(byte[] binned, FeatureBins bins, GbdtOptions options, int rows, double constantHessian, bool countRows = false)
    {
        _constantHessian = constantHessian;
        // row counts are needed unless the hessian gives them, or the only count rule (a child has a row)
        // follows from a positive minimum hessian sum, which an empty child cannot reach
        var countsFromHessian = !double.IsNaN(constantHessian);
        var countsImplied = options.MinDataInLeaf <= 1 && options.MinSumHessianInLeaf >= 1e-3 && !HasMissing(binned, bins);
        _width = !countRows && (countsFromHessian || countsImplied) ? 2 : 4;
        _binned = binned;
        _bins = bins;
        _options = options;
        _featureCount = bins.FeatureCount;
        _totalRows = rows;
        // a feature-major copy, so that partitioning reads one dense column rather than scattered rows
        _columns = new byte[(long)rows * _featureCount];
        var columns = _columns;
        var featureCount = _featureCount;
        Parallel.For(0, featureCount, new ParallelOptions { MaxDegreeOfParallelism = options.Threads }, f => CopyColumn(binned, columns, f, featureCount, rows));
        var leaves = options.NumLeaves;
        _histPool = new double[leaves][];
        _leafSlot = new int[leaves];
        _freeSlots = new int[leaves];
        _leafBegin = new int[leaves];
        _leafCount = new int[leaves];
        _leafDepth = new int[leaves];
        _leafParent = new int[leaves];
        _leafIsLeft = new bool[leaves];
        _leafGradient = new double[leaves];
        _leafHessian = new double[leaves];
        _leafBest = new SplitCandidate[leaves];
        _featureBestA = new SplitCandidate[_featureCount];
        _featureBestB = new SplitCandidate[_featureCount];
        _featureUsed = new bool[_featureCount];
        _usedFeatures = new int[_featureCount];
        _rows = new int[rows];
        _scratchLeft = new int[rows];
        _scratchRight = new int[rows];
        _partLeftCounts = new int[Math.Max(1, options.Threads)];
        _partRightCounts = new int[Math.Max(1, options.Threads)];
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Threads };
        _stepGroup = group =>
        {
            var (first, end) = (_usedCount * group / _stepGroups, _usedCount * (group + 1) / _stepGroups);
            StepFeatures(first, end);
        };
        _partitionBlock = PartitionBlock;
    }

    // one-shot loops over every row are compiled optimised at once rather than tiered up mid-loop
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyColumn(byte[] binned, byte[] columns, int f, int featureCount, int rows)
    {
        var column = columns.AsSpan(f * rows, rows);
        for (var r = 0; r < rows; r++)
            column[r] = binned[(long)r * featureCount + f];
    }

    // whether any training value is missing; without counts, a missing bin's hessian sum could not tell an empty bin from rounding
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool HasMissing(byte[] binned, FeatureBins bins)
    {
        var featureCount = bins.FeatureCount;
        // a feature with 256 numeric bins has no missing number (it has no missing values); −1 matches no byte
        var missing = new int[featureCount];
        for (var f = 0; f < featureCount; f++)
            missing[f] = bins.Count(f) < FeatureBins.ByteBins ? bins.Count(f) : -1;
        for (long i = 0; i < binned.Length; i += featureCount)
            for (var f = 0; f < featureCount; f++)
                if (binned[i + f] == missing[f])
                    return true;
        return false;
    }

    /// <summary>Features the next tree may split on.</summary>
    internal bool[] FeatureUsed => _featureUsed;

    /// <summary>The training rows in leaf l of the last tree grown.</summary>
    internal ReadOnlySpan<int> LeafRows(int leaf) => _rows.AsSpan(_leafBegin[leaf], _leafCount[leaf]);

    /// <summary>
    /// Grows a tree from the gradient and hessian of every training row, interleaved as
    /// <c>gh[2 row] = g, gh[2 row + 1] = h</c>, on the rows listed in <paramref name="bag"/> (all rows when null).
    /// </summary>
    internal GbdtTree Grow(double[] gh, int[]? bag, int bagCount)
    {
        var o = _options;
        _gh = gh;
        _usedCount = 0;
        for (var f = 0; f < _featureCount; f++)
            if (_featureUsed[f])
                _usedFeatures[_usedCount++] = f;
        _identityRows = bag is null;
        _rowCount = bag is null ? _totalRows : bagCount;
        if (bag is null)
            for (var i = 0; i < _rowCount; i++)
                _rows[i] = i;
        else
            Array.Copy(bag, _rows, bagCount);

        double g0 = 0, h0 = 0;
        for (var i = 0; i < _rowCount; i++)
        {
            var r = _rows[i];
            g0 += gh[2 * r];
            h0 += gh[2 * r + 1];
        }
        var maxNodes = o.NumLeaves - 1;
        var feature = new int[maxNodes];
        var thresholdBin = new int[maxNodes];
        var defaultLeft = new bool[maxNodes];
        var left = new int[maxNodes];
        var right = new int[maxNodes];
        var gain = new double[maxNodes];
        var nodes = 0;
        var leaves = 1;
        _leafBegin[0] = 0;
        _leafCount[0] = _rowCount;
        _leafDepth[0] = 0;
        _leafParent[0] = -1;
        _leafGradient[0] = g0;
        _leafHessian[0] = h0;
        _leafBest[0] = SplitCandidate.None;
        _freeCount = o.NumLeaves;
        for (var s = 0; s < o.NumLeaves; s++)
            _freeSlots[s] = o.NumLeaves - 1 - s;
        _leafSlot[0] = -1;
        if (CanSplit(0))
        {
            _leafSlot[0] = _freeSlots[--_freeCount];
            Step(0, _leafSlot[0], -1, -1);
        }

        while (leaves < o.NumLeaves)
        {
            var best = -1;
            for (var l = 0; l < leaves; l++)
                if (_leafBest[l].Feature >= 0 && (best < 0 || _leafBest[l].Gain > _leafBest[best].Gain))
                    best = l;
            if (best < 0)
                break;
            var split = _leafBest[best];
            var node = nodes++;
            feature[node] = split.Feature;
            thresholdBin[node] = split.Bin;
            defaultLeft[node] = split.DefaultLeft;
            gain[node] = split.Gain;
            var parent = _leafParent[best];
            if (parent >= 0)
            {
                if (_leafIsLeft[best])
                    left[parent] = node;
                else
                    right[parent] = node;
            }
            var newLeaf = leaves++;
            left[node] = ~best;
            right[node] = ~newLeaf;

            var leftCount = Partition(best, split);
            if (split.NoMissing)
                defaultLeft[node] = leftCount >= _leafCount[best] - leftCount;
            _leafBegin[newLeaf] = _leafBegin[best] + leftCount;
            _leafCount[newLeaf] = _leafCount[best] - leftCount;
            _leafCount[best] = leftCount;
            _leafDepth[best]++;
            _leafDepth[newLeaf] = _leafDepth[best];
            _leafParent[best] = node;
            _leafParent[newLeaf] = node;
            _leafIsLeft[best] = true;
            _leafIsLeft[newLeaf] = false;
            _leafGradient[newLeaf] = _leafGradient[best] - split.LeftGradient;
            _leafHessian[newLeaf] = _leafHessian[best] - split.LeftHessian;
            _leafGradient[best] = split.LeftGradient;
            _leafHessian[best] = split.LeftHessian;
            _leafBest[best] = SplitCandidate.None;
            _leafBest[newLeaf] = SplitCandidate.None;

            var parentSlot = _leafSlot[best];
            _leafSlot[best] = -1;
            _leafSlot[newLeaf] = -1;
            if (leaves == o.NumLeaves || (!CanSplit(best) && !CanSplit(newLeaf)))
            {
                _freeSlots[_freeCount++] = parentSlot;
                continue;
            }
            // the parent's histogram becomes the larger child's once the smaller one is subtracted
            var freeSlot = _freeSlots[--_freeCount];
            var (small, large) = _leafCount[best] <= _leafCount[newLeaf] ? (best, newLeaf) : (newLeaf, best);
            _leafSlot[small] = freeSlot;
            _leafSlot[large] = parentSlot;
            Step(small, freeSlot, large, parentSlot);
        }

        var leafValue = new double[leaves];
        for (var l = 0; l < leaves; l++)
            leafValue[l] = -_leafGradient[l] / (_leafHessian[l] + o.Lambda) * o.LearningRate;
        var threshold = new double[nodes];
        for (var n = 0; n < nodes; n++)
            threshold[n] = _bins.Upper(feature[n])[thresholdBin[n]];
        return new GbdtTree(feature[..nodes], thresholdBin[..nodes], threshold, defaultLeft[..nodes], left[..nodes], right[..nodes], gain[..nodes], leafValue);
    }

    private bool CanSplit(int leaf) =>
        _leafCount[leaf] >= 2 * _options.MinDataInLeaf && (_options.MaxDepth <= 0 || _leafDepth[leaf] < _options.MaxDepth);

    /// <summary>
    /// Sums the histogram of leaf <paramref name="small"/> into its slot; when <paramref name="large"/>
    /// is a leaf, turns the parent's histogram in its slot into the large child's by subtraction; then
    /// finds the best split of each leaf that may split, and releases the slots of those that have none.
    /// </summary>
    private void Step(int small, int smallSlot, int large, int largeSlot)
    {
        _histPool[smallSlot] ??= new double[_featureCount * BinsPerFeature * _width];
        (_stepSmall, _stepSmallSlot, _stepLarge, _stepLargeSlot) = (small, smallSlot, large, largeSlot);
        _stepFindSmall = CanSplit(small);
        _stepFindLarge = large >= 0 && CanSplit(large);
        var groups = Math.Min(_options.Threads, _usedCount);
        if ((long)_leafCount[small] * _usedCount < 100_000 && !(_stepFindLarge && _leafCount[large] > 20_000))
            groups = 1;
        _stepGroups = Math.Max(1, groups);
        if (_stepGroups == 1)
            StepFeatures(0, _usedCount);
        else
            Parallel.For(0, _stepGroups, _parallel, _stepGroup);
        _leafBest[small] = _stepFindSmall ? BestOf(_featureBestA) : SplitCandidate.None;
        if (large >= 0)
            _leafBest[large] = _stepFindLarge ? BestOf(_featureBestB) : SplitCandidate.None;
        Release(small);
        if (large >= 0)
            Release(large);
    }

    private SplitCandidate BestOf(SplitCandidate[] perFeature)
    {
        var best = SplitCandidate.None;
        for (var j = 0; j < _usedCount; j++)
        {
            var f = _usedFeatures[j];
            if (perFeature[f].Feature >= 0 && perFeature[f].Gain > best.Gain)
                best = perFeature[f];
        }
        return best;
    }

    // a leaf keeps its histogram slot only while it has a split to make
    private void Release(int leaf)
    {
        if (_leafBest[leaf].Feature < 0 && _leafSlot[leaf] >= 0)
        {
            _freeSlots[_freeCount++] = _leafSlot[leaf];
            _leafSlot[leaf] = -1;
        }
    }

    /// <summary>The work of one thread in <see cref="Step"/>: used features number <paramref name="first"/> to <paramref name="end"/> (exclusive).</summary>
    private void StepFeatures(int first, int end)
    {
        if (first >= end)
            return;
        var small = _stepSmall;
        var smallHist = _histPool[_stepSmallSlot]!;
        var entry = BinsPerFeature * _width;
        for (var j = first; j < end; j++)
            smallHist.AsSpan(_usedFeatures[j] * entry, entry).Clear();
        var allUsed = _usedCount == _featureCount;
        var identity = _identityRows && _leafCount[small] == _rowCount;
        fixed (double* hist = smallHist)
        fixed (byte* binned = _binned)
        fixed (int* rows = _rows)
        fixed (double* gh = _gh)
        fixed (int* used = _usedFeatures)
        {
            var leafRows = rows + _leafBegin[small];
            var count = _leafCount[small];
            if (_width == 2)
                Accumulate2(hist, binned, _featureCount, leafRows, count, identity, gh, used, first, end, allUsed);
            else
                Accumulate4(hist, binned, _featureCount, leafRows, count, identity, gh, used, first, end, allUsed);
        }
        var large = _stepLarge;
        if (large >= 0)
        {
            var largeHist = _histPool[_stepLargeSlot]!;
            for (var j = first; j < end; j++)
            {
                var offset = _usedFeatures[j] * entry;
                var p = largeHist.AsSpan(offset, entry);
                var c = smallHist.AsSpan(offset, entry);
                for (var i = 0; i < p.Length; i++)
                    p[i] -= c[i];
            }
            if (_stepFindLarge)
                for (var j = first; j < end; j++)
                {
                    var f = _usedFeatures[j];
                    _featureBestB[f] = FindBestSplit(f, largeHist, _leafGradient[large], _leafHessian[large], _leafCount[large]);
                }
        }
        if (_stepFindSmall)
            for (var j = first; j < end; j++)
            {
                var f = _usedFeatures[j];
                _featureBestA[f] = FindBestSplit(f, smallHist, _leafGradient[small], _leafHessian[small], _leafCount[small]);
            }
    }

    /// <summary>
    /// Adds each row's (g, h) to the (Σg, Σh) entry of its bin, for features <paramref name="first"/>
    /// to <paramref name="end"/>, rows in order. Entry (f, b) is at <c>2 (256 f + b)</c>.
    /// </summary>
    private static void Accumulate2(double* hist, byte* binned, int stride, int* rows, int count, bool identity, double* gh, int* used, int first, int end, bool allUsed)
    {
        for (var i = 0; i < count; i++)
        {
            var row = RowAt(i, rows, count, identity, binned, stride, gh, allUsed ? first : 0);
            var rb = binned + (long)row * stride;
            var v = Vector128.Load(gh + 2L * row);
            if (allUsed && BitConverter.IsLittleEndian)
            {
                // four bins read at once (the lowest byte first); the histograms of features f … f + 3 start 512 doubles apart
                var f = first;
                var hf = hist + 512 * f;
                for (; f + 4 <= end; f += 4)
                {
                    var bins = Unsafe.ReadUnaligned<uint>(rb + f);
                    var p0 = hf + 2 * (bins & 0xFF);
                    var p1 = hf + 512 + 2 * ((bins >> 8) & 0xFF);
                    var p2 = hf + 1024 + 2 * ((bins >> 16) & 0xFF);
                    var p3 = hf + 1536 + 2 * (bins >> 24);
                    Vector128.Store(Vector128.Load(p0) + v, p0);
                    Vector128.Store(Vector128.Load(p1) + v, p1);
                    Vector128.Store(Vector128.Load(p2) + v, p2);
                    Vector128.Store(Vector128.Load(p3) + v, p3);
                    hf += 2048;
                }
                for (; f < end; f++)
                {
                    var p = hist + 2 * ((f << 8) + rb[f]);
                    Vector128.Store(Vector128.Load(p) + v, p);
                }
            }
            else
            {
                for (var j = first; j < end; j++)
                {
                    var f = used[j];
                    var p = hist + 2 * ((f << 8) + rb[f]);
                    Vector128.Store(Vector128.Load(p) + v, p);
                }
            }
        }
    }

    // the i-th row of a leaf (rows in order at the root), prefetching the bins and gradients of the row 16 places on
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RowAt(int i, int* rows, int count, bool identity, byte* binned, int stride, double* gh, int firstFeature)
    {
        if (identity)
            return i;
        if (Sse.IsSupported && i + 16 < count)
        {
            var next = rows[i + 16];
            Sse.Prefetch0(binned + (long)next * stride + firstFeature);
            Sse.Prefetch0(gh + 2L * next);
        }
        return rows[i];
    }

    /// <summary>As <see cref="Accumulate2"/> with entries (Σg, Σh, count, 0) at <c>4 (256 f + b)</c>.</summary>
    private static void Accumulate4(double* hist, byte* binned, int stride, int* rows, int count, bool identity, double* gh, int* used, int first, int end, bool allUsed)
    {
        for (var i = 0; i < count; i++)
        {
            var row = RowAt(i, rows, count, identity, binned, stride, gh, allUsed ? first : 0);
            var rb = binned + (long)row * stride;
            var v = Vector256.Create(gh[2L * row], gh[2L * row + 1], 1.0, 0.0);
            if (allUsed)
            {
                var f = first;
                for (; f + 2 <= end; f += 2)
                {
                    var p0 = hist + 4 * ((f << 8) + rb[f]);
                    var p1 = hist + 4 * (((f + 1) << 8) + rb[f + 1]);
                    Vector256.Store(Vector256.Load(p0) + v, p0);
                    Vector256.Store(Vector256.Load(p1) + v, p1);
                }
                for (; f < end; f++)
                {
                    var p = hist + 4 * ((f << 8) + rb[f]);
                    Vector256.Store(Vector256.Load(p) + v, p);
                }
            }
            else
            {
                for (var j = first; j < end; j++)
                {
                    var f = used[j];
                    var p = hist + 4 * ((f << 8) + rb[f]);
                    Vector256.Store(Vector256.Load(p) + v, p);
                }
            }
        }
    }

    /// <summary>
    /// The best split of feature <paramref name="f"/> for a leaf with sums (g, h) over
    /// <paramref name="c"/> rows, from its histogram; <see cref="SplitCandidate.None"/> if none gains.
    /// </summary>
    [SkipLocalsInit] // the stack buffers are written before they are read
    private SplitCandidate FindBestSplit(int f, double[] histogram, double g, double h, double c)
    {
        var o = _options;
        var lambda = o.Lambda;
        var numeric = _bins.Count(f);
        var w = _width;
        // rows per unit of hessian when every row has the same hessian; NaN when the entries count the rows
        // themselves, or when no count rule applies beyond the minimum hessian (see the constructor)
        var perHessian = w == 4 ? double.NaN : double.IsNaN(_constantHessian) ? double.NaN : 1.0 / _constantHessian;
        var counted = w == 4 || !double.IsNaN(perHessian);
        // a feature with 256 numeric bins has no missing bin, nor missing values (see FeatureBins)
        var hasMissingBin = numeric < BinsPerFeature;
        var hist = histogram.AsSpan(f * BinsPerFeature * w, w * BinsPerFeature);
        var gm = hasMissingBin ? hist[w * numeric] : 0.0;
        var hm = hasMissingBin ? hist[w * numeric + 1] : 0.0;
        // without counts the training rows have no missing values (see the constructor)
        var cm = !hasMissingBin ? 0.0 : w == 4 ? hist[w * numeric + 2] : counted ? Math.Round(hm * perHessian) : 0.0;

        // the sums left of each threshold "bin ≤ t", padded to whole vectors
        const int capacity = BinsPerFeature + 4;
        Span<double> gl = stackalloc double[capacity];
        Span<double> hl = stackalloc double[capacity];
        Span<double> cl = stackalloc double[capacity];
        double sg = 0, sh = 0, sc = 0;
        if (w == 4)
            for (var t = 0; t < numeric; t++)
            {
                sg += hist[w * t];
                sh += hist[w * t + 1];
                sc += hist[w * t + 2];
                (gl[t], hl[t], cl[t]) = (sg, sh, sc);
            }
        else if (perHessian == 1.0)
            for (var t = 0; t < numeric; t++)
            {
                // a sum of hessians 1 is the row count itself
                sg += hist[2 * t];
                sh += hist[2 * t + 1];
                (gl[t], hl[t], cl[t]) = (sg, sh, sh);
            }
        else
            for (var t = 0; t < numeric; t++)
            {
                sg += hist[2 * t];
                sh += hist[2 * t + 1];
                (gl[t], hl[t], cl[t]) = (sg, sh, counted ? Math.Round(sh * perHessian) : 0.0);
            }
        // thresholds t < numeric − 1 leave numeric rows on both sides; the last one only sends missing values right
        var thresholds = cm > 0 ? numeric : numeric - 1;
        if (thresholds <= 0)
            return SplitCandidate.None;
        var parentScore = g * g / (h + lambda);
        var split = new SplitRule(g, h, c, lambda, parentScore, o.MinDataInLeaf, o.MinSumHessianInLeaf, counted);
        // missing values to the right (or, when the leaf had none, to the larger side, set after partitioning)
        Span<double> gainRight = stackalloc double[capacity];
        split.Gains(gl, hl, cl, 0, 0, 0, thresholds, gainRight);
        Span<double> gainLeft = stackalloc double[capacity];
        var leftThresholds = cm > 0 ? numeric - 1 : 0;
        if (leftThresholds > 0)
            split.Gains(gl, hl, cl, gm, hm, cm, leftThresholds, gainLeft);

        // the first threshold, in order and missing-right before missing-left, whose gain is the largest
        var most = Math.Max(Largest(gainRight, thresholds), Largest(gainLeft, leftThresholds));
        if (!(most > Math.Max(o.MinGainToSplit, 0.0)))
            return SplitCandidate.None;
        for (var t = 0; t < thresholds; t++)
        {
            if (gainRight[t] == most)
                return new SplitCandidate { Feature = f, Bin = t, DefaultLeft = false, NoMissing = cm == 0, Gain = most, LeftGradient = gl[t], LeftHessian = hl[t] };
            if (t < leftThresholds && gainLeft[t] == most)
                return new SplitCandidate { Feature = f, Bin = t, DefaultLeft = true, Gain = most, LeftGradient = gl[t] + gm, LeftHessian = hl[t] + hm };
        }
        return SplitCandidate.None;
    }

    // the largest of values[0 .. count), −∞ when count is 0 (no value is NaN)
    private static double Largest(ReadOnlySpan<double> values, int count)
    {
        var most = Vector256.Create(double.NegativeInfinity);
        var t = 0;
        for (; t + 4 <= count; t += 4)
            most = Vector256.Max(most, Vector256.Create(values.Slice(t, 4)));
        var result = Math.Max(Math.Max(most[0], most[1]), Math.Max(most[2], most[3]));
        for (; t < count; t++)
            result = Math.Max(result, values[t]);
        return result;
    }

    /// <summary>The split rules and gain of one leaf with sums (G, H) over C rows.</summary>
    private readonly record struct SplitRule(double G, double H, double C, double Lambda, double ParentScore, double MinData, double MinHessian, bool Counted)
    {
        /// <summary>
        /// Writes into <paramref name="gain"/>[t], for t &lt; <paramref name="count"/>, the gain
        /// ½[G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)] of sending left the sums at t plus (addG, addH, addC),
        /// or −∞ where a side breaks the minimum rows or hessian or the gain is NaN. Four thresholds at a time, each
        /// lane computed with the same operations in the same order as one at a time.
        /// </summary>
        internal void Gains(ReadOnlySpan<double> gl, ReadOnlySpan<double> hl, ReadOnlySpan<double> cl, double addG, double addH, double addC, int count, Span<double> gain)
        {
            var g = Vector256.Create(G);
            var h = Vector256.Create(H);
            var c = Vector256.Create(C);
            var lambda = Vector256.Create(Lambda);
            var parent = Vector256.Create(ParentScore);
            var minData = Vector256.Create(MinData);
            var minHessian = Vector256.Create(MinHessian);
            var half = Vector256.Create(0.5);
            var none = Vector256.Create(double.NegativeInfinity);
            var (ag, ah, ac) = (Vector256.Create(addG), Vector256.Create(addH), Vector256.Create(addC));
            for (var t = 0; t < count; t += 4)
            {
                var lg = Vector256.Create(gl.Slice(t, 4)) + ag;
                var lh = Vector256.Create(hl.Slice(t, 4)) + ah;
                var rg = g - lg;
                var rh = h - lh;
                var ok = Vector256.GreaterThanOrEqual(lh, minHessian) & Vector256.GreaterThanOrEqual(rh, minHessian);
                if (Counted)
                {
                    var lc = Vector256.Create(cl.Slice(t, 4)) + ac;
                    ok &= Vector256.GreaterThanOrEqual(lc, minData) & Vector256.GreaterThanOrEqual(c - lc, minData);
                }
                var value = half * (lg * lg / (lh + lambda) + rg * rg / (rh + lambda) - parent);
                // NaN (0 / 0 with λ = 0 and an empty side allowed) is never a split
                ok &= Vector256.Equals(value, value);
                Vector256.ConditionalSelect(ok, value, none).CopyTo(gain.Slice(t, 4));
            }
        }
    }

    /// <summary>Stable partition of the leaf's rows by the split: left rows first, each side in row order.</summary>
    private int Partition(int leaf, in SplitCandidate split)
    {
        (_partBegin, _partCount, _partFeature, _partBin) = (_leafBegin[leaf], _leafCount[leaf], split.Feature, split.Bin);
        _partMissing = _bins.Count(split.Feature);
        _partMissingLeft = split.DefaultLeft;
        var blocks = _partCount >= 65_536 ? Math.Min(_options.Threads, _partLeftCounts.Length) : 1;
        _partBlocks = blocks;
        if (blocks == 1)
            PartitionBlock(0);
        else
            Parallel.For(0, blocks, _parallel, _partitionBlock);
        var rows = _rows.AsSpan(_partBegin, _partCount);
        var l = 0;
        for (var b = 0; b < blocks; b++)
        {
            var start = _partBegin + (int)((long)_partCount * b / blocks);
            _scratchLeft.AsSpan(start, _partLeftCounts[b]).CopyTo(rows[l..]);
            l += _partLeftCounts[b];
        }
        var r = l;
        for (var b = 0; b < blocks; b++)
        {
            var start = _partBegin + (int)((long)_partCount * b / blocks);
            _scratchRight.AsSpan(start, _partRightCounts[b]).CopyTo(rows[r..]);
            r += _partRightCounts[b];
        }
        return l;
    }

    // one contiguous block of the leaf's rows, split into the scratch arrays at the block's own position
    private void PartitionBlock(int block)
    {
        var start = _partBegin + (int)((long)_partCount * block / _partBlocks);
        var end = _partBegin + (int)((long)_partCount * (block + 1) / _partBlocks);
        var column = _columns.AsSpan(_partFeature * _totalRows, _totalRows);
        var missing = _partMissing;
        var bin = _partBin;
        var missingLeft = _partMissingLeft;
        var rows = _rows;
        var lefts = _scratchLeft.AsSpan(start, end - start);
        var rights = _scratchRight.AsSpan(start, end - start);
        int l = 0, r = 0;
        // written to both sides and kept on one, with no branch: which side a row takes is a coin toss
        if (missingLeft)
            for (var i = start; i < end; i++)
            {
                var row = rows[i];
                int b = column[row];
                var goLeft = (b <= bin ? 1 : 0) | (b == missing ? 1 : 0);
                lefts[l] = row;
                rights[r] = row;
                l += goLeft;
                r += 1 - goLeft;
            }
        else
            for (var i = start; i < end; i++)
            {
                var row = rows[i];
                int b = column[row];
                var goLeft = b <= bin ? 1 : 0;
                lefts[l] = row;
                rights[r] = row;
                l += goLeft;
                r += 1 - goLeft;
            }
        _partLeftCounts[block] = l;
        _partRightCounts[block] = r;
    }
}
