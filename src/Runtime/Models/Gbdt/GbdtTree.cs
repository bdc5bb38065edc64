namespace StrategyLab.Runtime.Models.Gbdt;

/// <summary>
/// One regression tree. Internal node i sends a row left when its feature is ≤ Threshold[i], or,
/// when the feature is NaN, when DefaultLeft[i]; a child index c ≥ 0 is a node, c &lt; 0 the leaf ~c.
/// A tree with no nodes is a single leaf. Leaf values already include the learning rate.
/// </summary>
internal sealed class GbdtTree
{
    internal GbdtTree(int[] feature, int[] thresholdBin, double[] threshold, bool[] defaultLeft, int[] left, int[] right, double[] gain, double[] leafValue)
    {
        Feature = feature;
        ThresholdBin = thresholdBin;
        Threshold = threshold;
        DefaultLeft = defaultLeft;
        Left = left;
        Right = right;
        Gain = gain;
        LeafValue = leafValue;
        _nodes = new Node[feature.Length];
        for (var n = 0; n < feature.Length; n++)
            _nodes[n] = new Node(feature[n], threshold[n], defaultLeft[n] ? left[n] : right[n], left[n], right[n]);
    }

    // the fields prediction reads, side by side in one array
    private readonly record struct Node(int Feature, double Threshold, int Missing, int Left, int Right);

    private readonly Node[] _nodes;

    internal int[] Feature { get; }
    internal int[] ThresholdBin { get; }
    internal double[] Threshold { get; }
    internal bool[] DefaultLeft { get; }
    internal int[] Left { get; }
    internal int[] Right { get; }
    internal double[] Gain { get; }
    internal double[] LeafValue { get; }
    internal int NodeCount => Feature.Length;

    /// <summary>The leaf a row of raw feature values falls in.</summary>
    internal int LeafOf(ReadOnlySpan<double> row)
    {
        var nodes = _nodes;
        if (nodes.Length == 0)
            return 0;
        var node = 0;
        do
        {
            ref readonly var n = ref nodes[node];
            var x = row[n.Feature];
            node = x <= n.Threshold ? n.Left : double.IsNaN(x) ? n.Missing : n.Right;
        }
        while (node >= 0);
        return ~node;
    }

    /// <summary>The leaf a binned training row falls in (the same leaf as for its raw values).</summary>
    internal int LeafOfBinned(ReadOnlySpan<byte> binnedRow, FeatureBins bins)
    {
        if (Feature.Length == 0)
            return 0;
        var node = 0;
        do
        {
            var f = Feature[node];
            int b = binnedRow[f];
            var goLeft = b == bins.Count(f) ? DefaultLeft[node] : b <= ThresholdBin[node];
            node = goLeft ? Left[node] : Right[node];
        }
        while (node >= 0);
        return ~node;
    }
}
