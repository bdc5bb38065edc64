using StrategyLab.Runtime.Evaluation;

namespace StrategyLab.Runtime.Models.Training;

/// <summary>Combining members' predictions: fixed weights, or weights fitted on validation rows.</summary>
public static class Ensembles
{
    /// <summary>
    /// Σ wᵢ·pᵢ / Σ wᵢ per value (the weighted average the catalogue describes); NaN where any member has none.
    /// </summary>
    public static double[] Combine(IReadOnlyList<double[]> members, IReadOnlyList<double> weights, string model)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(weights);
        var total = weights.Sum();
        if (!(Math.Abs(total) > 0) || !double.IsFinite(total))
            throw new PlanException($"model '{model}': the ensemble's weights sum to {total}; they must sum to a non-zero number");
        var result = new double[members[0].Length];
        for (var i = 0; i < result.Length; i++)
        {
            double s = 0;
            for (var m = 0; m < members.Count; m++)
                s += weights[m] * members[m][i];
            result[i] = s / total;
        }
        return result;
    }

    /// <summary>
    /// The weights w ≥ 0, Σw = 1 minimising Σᵣ (yᵣ − Σᵢ wᵢ pᵢᵣ)² over the rows r: projected gradient
    /// descent on the members' Gram matrix, with a step of 1 / (a Gershgorin bound on its largest
    /// eigenvalue) and a Euclidean projection onto the simplex after every step (sort-based, as in
    /// Duchi et al. 2008), from equal weights until no weight moves by more than 1e-12. The problem
    /// is convex, so this reaches its minimum; with few members it takes milliseconds.
    /// </summary>
    /// <param name="predictions">Per member, its prediction for each row.</param>
    /// <param name="labels">The label of each row.</param>
    public static double[] FitWeights(IReadOnlyList<double[]> predictions, ReadOnlySpan<double> labels)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var m = predictions.Count;
        var n = labels.Length;
        if (m == 0 || n == 0)
            throw new ArgumentException("fitting ensemble weights needs members and rows");
        var gram = new double[m * m];
        var b = new double[m];
        for (var i = 0; i < m; i++)
        {
            for (var r = 0; r < n; r++)
                b[i] += predictions[i][r] * labels[r] / n;
            for (var j = 0; j <= i; j++)
            {
                double s = 0;
                for (var r = 0; r < n; r++)
                    s += predictions[i][r] * predictions[j][r];
                gram[i * m + j] = gram[j * m + i] = s / n;
            }
        }
        double bound = 0;
        for (var i = 0; i < m; i++)
        {
            double row = 0;
            for (var j = 0; j < m; j++)
                row += Math.Abs(gram[i * m + j]);
            bound = Math.Max(bound, row);
        }
        var w = Enumerable.Repeat(1.0 / m, m).ToArray();
        if (!(bound > 0))
            return w;
        var step = 1 / bound;
        var next = new double[m];
        for (var iteration = 0; iteration < 1_000_000; iteration++)
        {
            for (var i = 0; i < m; i++)
            {
                double g = -b[i];
                for (var j = 0; j < m; j++)
                    g += gram[i * m + j] * w[j];
                next[i] = w[i] - step * g;
            }
            ProjectOntoSimplex(next);
            double moved = 0;
            for (var i = 0; i < m; i++)
                moved = Math.Max(moved, Math.Abs(next[i] - w[i]));
            (w, next) = (next, w);
            if (moved < 1e-12)
                break;
        }
        return w;
    }

    /// <summary>Replaces <paramref name="v"/> by its nearest point (Euclidean) with v ≥ 0 and Σv = 1.</summary>
    public static void ProjectOntoSimplex(Span<double> v)
    {
        var u = v.ToArray();
        Array.Sort(u);
        Array.Reverse(u);
        double sum = 0, theta = 0;
        for (var j = 0; j < u.Length; j++)
        {
            sum += u[j];
            var t = (sum - 1) / (j + 1);
            if (u[j] - t > 0)
                theta = t;
        }
        for (var i = 0; i < v.Length; i++)
            v[i] = Math.Max(v[i] - theta, 0);
    }
}
