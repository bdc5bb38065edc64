namespace StrategyLab.Runtime.Search.Samplers;

/// <summary>
/// Hypervolume of points to be minimised: the volume they dominate up to a reference point. Exact, by
/// slicing along the last objective (a sweep in two dimensions); meant for the few dozen points of a
/// TPE split, not for thousands in many dimensions.
/// </summary>
internal static class Hypervolume
{
    private const double Tiny = 1e-12;

    /// <summary>Returns the volume dominated by <paramref name="points"/> and bounded by <paramref name="reference"/>; points not below the reference in every objective add nothing.</summary>
    public static double Compute(IReadOnlyList<double[]> points, double[] reference)
    {
        var inside = points.Where(p => Below(p, reference)).ToList();
        return Volume(inside, reference, reference.Length);
    }

    /// <summary>
    /// The reference point used for a set: 10 % beyond its worst value in each objective (toward worse),
    /// and a tiny positive number where that worst value is 0, so every point of the set lies strictly below it.
    /// </summary>
    public static double[] ReferenceFor(IReadOnlyList<double[]> points)
    {
        var d = points[0].Length;
        var reference = new double[d];
        for (var j = 0; j < d; j++)
        {
            var worst = points.Max(p => p[j]);
            var r = Math.Max(1.1 * worst, 0.9 * worst);
            reference[j] = r == 0 ? Tiny : r;
        }
        return reference;
    }

    /// <summary>Each point's exclusive contribution: the volume lost when it alone is removed.</summary>
    public static double[] Contributions(IReadOnlyList<double[]> points, double[] reference)
    {
        var total = Compute(points, reference);
        var result = new double[points.Count];
        for (var i = 0; i < points.Count; i++)
        {
            var others = points.Where((_, k) => k != i).ToList();
            result[i] = total - Compute(others, reference);
        }
        return result;
    }

    /// <summary>
    /// Picks <paramref name="count"/> of <paramref name="points"/> greedily, each time the one that adds
    /// the most volume to those picked (ties to the earliest); returns their indices in the order picked.
    /// </summary>
    public static int[] GreedySubset(IReadOnlyList<double[]> points, int count, double[] reference)
    {
        var picked = new List<int>();
        var pickedPoints = new List<double[]>();
        for (var k = 0; k < count && k < points.Count; k++)
        {
            int best = -1;
            double bestVolume = double.NegativeInfinity;
            for (var i = 0; i < points.Count; i++)
            {
                if (picked.Contains(i))
                    continue;
                pickedPoints.Add(points[i]);
                var v = Compute(pickedPoints, reference);
                pickedPoints.RemoveAt(pickedPoints.Count - 1);
                if (v > bestVolume)
                    (best, bestVolume) = (i, v);
            }
            picked.Add(best);
            pickedPoints.Add(points[best]);
        }
        return [.. picked];
    }

    private static bool Below(double[] p, double[] reference)
    {
        for (var j = 0; j < reference.Length; j++)
            if (!(p[j] < reference[j]))
                return false;
        return true;
    }

    // volume in the first d objectives of points all below the reference
    private static double Volume(List<double[]> points, double[] reference, int d)
    {
        if (points.Count == 0)
            return 0;
        if (d == 1)
            return reference[0] - points.Min(p => p[0]);
        if (d == 2)
            return Sweep(points, reference);
        // slices between consecutive values of the last objective: the points at or below a slice
        // dominate it with the (d − 1)-dimensional volume of their projection
        var sorted = points.OrderBy(p => p[d - 1]).ToList();
        double volume = 0;
        for (var i = 0; i < sorted.Count; i++)
        {
            var top = i + 1 < sorted.Count ? sorted[i + 1][d - 1] : reference[d - 1];
            var height = top - sorted[i][d - 1];
            if (height > 0)
                volume += height * Volume(sorted.GetRange(0, i + 1), reference, d - 1);
        }
        return volume;
    }

    private static double Sweep(List<double[]> points, double[] reference)
    {
        var sorted = points.OrderBy(p => p[0]).ThenBy(p => p[1]).ToList();
        double volume = 0, ceiling = reference[1];
        foreach (var p in sorted)
        {
            if (p[1] >= ceiling)
                continue;
            volume += (reference[0] - p[0]) * (ceiling - p[1]);
            ceiling = p[1];
        }
        return volume;
    }
}
