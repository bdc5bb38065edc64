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
    internal double LeftCount;

    internal static SplitCandidate None => new() { Feature = -1, Gain = double.NegativeInfinity };
}

/// <summary>
/// Grows one tree leaf-wise on binned columns from per-row gradients and hessians. Histograms
/// hold (Σg, Σh, count) per bin; each feature's histogram is summed by one thread in row order,
/// and only the smaller child of a split is summed, the larger being its parent minus it, so the
/// tree is the same whatever the number of threads. All buffers live as long as the learner.
/// </summary>
internal sealed class TreeLearner
{
    private readonly byte[] _binned;
    private readonly FeatureBins _bins;
    private readonly GbdtOptions _options;
    private readonly int _featureCount;
    private readonly int[] _histOffset;
    private readonly int _histLength;
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
    private readonly SplitCandidate[] _featureBest;
    private readonly bool[] _featureUsed;
    private readonly int[] _usedFeatures;
    private int _usedCount;
    private readonly int[] _rows;
    private readonly int[] _scratch;
    private readonly double[] _orderedGradient;
    private readonly double[] _orderedHessian;
    private readonly ParallelOptions _parallel;
    private readonly Action<int> _buildGroupAt;
    private readonly Action<int> _findFeatureAt;
    private int _rowCount;
    // arguments of the per-feature work run by Parallel.For, kept in fields so no closure is made per node
    private double[] _buildHist = [], _buildGradient = [], _buildHessian = [], _findHist = [];
    private int _buildBegin, _buildCount, _buildGroups;
    private bool _buildIdentity;
    private double _buildConstant, _findGradient, _findHessian, _findCount;
    private bool _identityRows;

    internal TreeLearner(byte[] binned, FeatureBins bins, GbdtOptions options, int rows)
    {
        _binned = binned;
        _bins = bins;
        _options = options;
        _featureCount = bins.FeatureCount;
        _histOffset = new int[_featureCount];
        var offset = 0;
        for (var f = 0; f < _featureCount; f++)
        {
            _histOffset[f] = offset;
            offset += 3 * (bins.Count(f) + 1);
        }
        _histLength = offset;
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
        _featureBest = new SplitCandidate[_featureCount];
        _featureUsed = new bool[_featureCount];
        _usedFeatures = new int[_featureCount];
        _rows = new int[rows];
        _scratch = new int[rows];
        _orderedGradient = new double[rows];
        _orderedHessian = new double[rows];
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Threads };
        _buildGroupAt = group =>
        {
            var (first, end) = (_usedCount * group / _buildGroups, _usedCount * (group + 1) / _buildGroups);
            BuildFeatures(first, end, _buildHist, _buildBegin, _buildCount, _buildIdentity, _buildGradient, _buildHessian, _buildConstant);
        };
        _findFeatureAt = f => _featureBest[f] = FindBestSplit(f, _findHist, _findGradient, _findHessian, _findCount);
    }

    /// <summary>Features the next tree may split on.</summary>
    internal bool[] FeatureUsed => _featureUsed;

    /// <summary>The training rows in leaf l of the last tree grown.</summary>
    internal ReadOnlySpan<int> LeafRows(int leaf) => _rows.AsSpan(_leafBegin[leaf], _leafCount[leaf]);

    /// <summary>
    /// Grows a tree on the rows listed in <paramref name="bag"/> (all rows when null). When
    /// <paramref name="constantHessian"/> is not NaN every h equals it and is not summed.
    /// </summary>
    internal GbdtTree Grow(double[] gradient, double[] hessian, double constantHessian, int[]? bag, int bagCount)
    {
        var o = _options;
        _usedCount = 0;
        for (var f = 0; f < _featureCount; f++)
            if (_featureUsed[f])
                _usedFeatures[_usedCount++] = f;
        _identityRows = bag is null;
        _rowCount = bag is null ? gradient.Length : bagCount;
        if (bag is null)
            for (var i = 0; i < _rowCount; i++)
                _rows[i] = i;
        else
            Array.Copy(bag, _rows, bagCount);

        double g0 = 0, h0 = 0;
        for (var i = 0; i < _rowCount; i++)
        {
            var r = _rows[i];
            g0 += gradient[r];
            h0 += hessian[r];
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
            BuildHistogram(0, _leafSlot[0], gradient, hessian, constantHessian);
            FindBestSplitOrRelease(0);
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
            BuildHistogram(small, freeSlot, gradient, hessian, constantHessian);
            Subtract(_histPool[parentSlot]!, _histPool[freeSlot]!);
            FindBestSplitOrRelease(best);
            FindBestSplitOrRelease(newLeaf);
        }

        var leafValue = new double[leaves];
        for (var l = 0; l < leaves; l++)
            leafValue[l] = -_leafGradient[l] / (_leafHessian[l] + o.Lambda) * o.LearningRate;
        var threshold = new double[nodes];
        for (var n = 0; n < nodes; n++)
            threshold[n] = _bins.Upper(feature[n])[thresholdBin[n]];
        return new GbdtTree(feature[..nodes], thresholdBin[..nodes], threshold, defaultLeft[..nodes], left[..nodes], right[..nodes], gain[..nodes], leafValue);
    }

    // a leaf keeps its histogram slot only while it has a split to make
    private void FindBestSplitOrRelease(int leaf)
    {
        var slot = _leafSlot[leaf];
        if (slot < 0)
            return;
        _leafBest[leaf] = CanSplit(leaf) ? FindBestSplit(leaf) : SplitCandidate.None;
        if (_leafBest[leaf].Feature < 0)
        {
            _freeSlots[_freeCount++] = slot;
            _leafSlot[leaf] = -1;
        }
    }

    private bool CanSplit(int leaf) =>
        _leafCount[leaf] >= 2 * _options.MinDataInLeaf && (_options.MaxDepth <= 0 || _leafDepth[leaf] < _options.MaxDepth);

    private int Partition(int leaf, in SplitCandidate split)
    {
        var begin = _leafBegin[leaf];
        var count = _leafCount[leaf];
        var binned = _binned;
        var stride = _featureCount;
        var feature = split.Feature;
        var missing = _bins.Count(split.Feature);
        var bin = split.Bin;
        var missingLeft = split.DefaultLeft;
        var rows = _rows.AsSpan(begin, count);
        var scratch = _scratch.AsSpan(0, count);
        int l = 0, r = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            int b = binned[row * stride + feature];
            if (b == missing ? missingLeft : b <= bin)
                rows[l++] = row;
            else
                scratch[r++] = row;
        }
        scratch[..r].CopyTo(rows[l..]);
        return l;
    }

    private void BuildHistogram(int leaf, int slot, double[] gradient, double[] hessian, double constantHessian)
    {
        var hist = _histPool[slot] ??= new double[_histLength];
        var begin = _leafBegin[leaf];
        var count = _leafCount[leaf];
        var identity = _identityRows && count == _rowCount;
        if (!identity)
        {
            var rows = _rows;
            var og = _orderedGradient;
            var oh = _orderedHessian;
            for (var i = 0; i < count; i++)
            {
                var row = rows[begin + i];
                og[i] = gradient[row];
                oh[i] = hessian[row];
            }
        }
        var g = identity ? gradient : _orderedGradient;
        var h = identity ? hessian : _orderedHessian;
        var groups = Math.Min(_options.Threads, _usedCount);
        if ((long)count * _usedCount < 200_000 || groups <= 1)
        {
            BuildFeatures(0, _usedCount, hist, begin, count, identity, g, h, constantHessian);
        }
        else
        {
            (_buildHist, _buildBegin, _buildCount, _buildIdentity, _buildGradient, _buildHessian, _buildConstant, _buildGroups) = (hist, begin, count, identity, g, h, constantHessian, groups);
            Parallel.For(0, groups, _parallel, _buildGroupAt);
        }
    }

    /// <summary>
    /// Sums the histograms of used features number <paramref name="first"/> to <paramref name="end"/>
    /// (exclusive) row by row. Each feature's bins are summed in row order whichever thread does it.
    /// </summary>
    private unsafe void BuildFeatures(int first, int end, double[] hist, int begin, int count, bool identity, double[] g, double[] h, double constantHessian)
    {
        if (first >= end)
            return;
        var stride = _featureCount;
        for (var j = first; j < end; j++)
        {
            var f = _usedFeatures[j];
            hist.AsSpan(_histOffset[f], 3 * (_bins.Count(f) + 1)).Clear();
        }
        var constant = !double.IsNaN(constantHessian);
        fixed (double* hp = hist)
        fixed (byte* binned = _binned)
        fixed (int* rows = _rows)
        fixed (double* gp = g)
        fixed (double* hsp = h)
        fixed (int* used = _usedFeatures)
        fixed (int* offsets = _histOffset)
        {
            var leafRows = rows + begin;
            for (var i = 0; i < count; i++)
            {
                var row = identity ? i : leafRows[i];
                var rb = binned + (long)row * stride;
                var gi = gp[i];
                if (constant)
                {
                    for (var j = first; j < end; j++)
                    {
                        var f = used[j];
                        var p = hp + offsets[f] + 3 * rb[f];
                        p[0] += gi;
                        p[2] += 1.0;
                    }
                }
                else
                {
                    var hi = hsp[i];
                    for (var j = first; j < end; j++)
                    {
                        var f = used[j];
                        var p = hp + offsets[f] + 3 * rb[f];
                        p[0] += gi;
                        p[1] += hi;
                        p[2] += 1.0;
                    }
                }
            }
            if (constant)
            {
                for (var j = first; j < end; j++)
                {
                    var f = used[j];
                    var p = hp + offsets[f];
                    var bins = _bins.Count(f) + 1;
                    for (var b = 0; b < bins; b++)
                        p[3 * b + 1] = p[3 * b + 2] * constantHessian;
                }
            }
        }
    }

    private void Subtract(double[] parent, double[] child)
    {
        for (var f = 0; f < _featureCount; f++)
        {
            if (!_featureUsed[f])
                continue;
            var p = parent.AsSpan(_histOffset[f], 3 * (_bins.Count(f) + 1));
            var c = child.AsSpan(_histOffset[f], p.Length);
            for (var i = 0; i < p.Length; i++)
                p[i] -= c[i];
        }
    }

    private SplitCandidate FindBestSplit(int leaf)
    {
        var hist = _histPool[_leafSlot[leaf]]!;
        var g = _leafGradient[leaf];
        var h = _leafHessian[leaf];
        double c = _leafCount[leaf];
        if (_featureCount >= 8 && _options.Threads > 1)
        {
            (_findHist, _findGradient, _findHessian, _findCount) = (hist, g, h, c);
            Parallel.For(0, _featureCount, _parallel, _findFeatureAt);
        }
        else
            for (var f = 0; f < _featureCount; f++)
                _featureBest[f] = FindBestSplit(f, hist, g, h, c);
        var best = SplitCandidate.None;
        for (var f = 0; f < _featureCount; f++)
            if (_featureBest[f].Feature >= 0 && _featureBest[f].Gain > best.Gain)
                best = _featureBest[f];
        return best;
    }

    private SplitCandidate FindBestSplit(int f, double[] histogram, double g, double h, double c)
    {
        var best = SplitCandidate.None;
        if (!_featureUsed[f])
            return best;
        var o = _options;
        var lambda = o.Lambda;
        var minData = (double)o.MinDataInLeaf;
        var minHessian = o.MinSumHessianInLeaf;
        var numeric = _bins.Count(f);
        var hist = histogram.AsSpan(_histOffset[f], 3 * (numeric + 1));
        double gm = hist[3 * numeric], hm = hist[3 * numeric + 1], cm = hist[3 * numeric + 2];
        var parentScore = g * g / (h + lambda);
        var bestGain = Math.Max(o.MinGainToSplit, 0.0);
        double gl = 0, hl = 0, cl = 0;
        for (var t = 0; t < numeric; t++)
        {
            gl += hist[3 * t];
            hl += hist[3 * t + 1];
            cl += hist[3 * t + 2];
            if (t == numeric - 1 && cm == 0)
                break;
            // missing values to the right (or, when the training rows had none, to the larger side)
            Consider(gl, hl, cl, cm == 0 && cl >= c - cl, t);
            if (cm > 0 && t < numeric - 1)
                Consider(gl + gm, hl + hm, cl + cm, true, t);
        }
        return best;

        void Consider(double lg, double lh, double lc, bool defaultLeft, int bin)
        {
            var rc = c - lc;
            if (lc < minData || rc < minData)
                return;
            var rh = h - lh;
            if (lh < minHessian || rh < minHessian)
                return;
            var rg = g - lg;
            var gain = 0.5 * (lg * lg / (lh + lambda) + rg * rg / (rh + lambda) - parentScore);
            if (gain > bestGain)
            {
                bestGain = gain;
                best = new SplitCandidate
                {
                    Feature = f,
                    Bin = bin,
                    DefaultLeft = defaultLeft,
                    Gain = gain,
                    LeftGradient = lg,
                    LeftHessian = lh,
                    LeftCount = lc,
                };
            }
        }
    }
}
