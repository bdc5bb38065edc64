namespace StrategyLab.Runtime.Models.Linear;

/// <summary>
/// Column means and population standard deviations of a row-major matrix [rows × features]; a
/// constant column has deviation 0 and is left out of the fit (its coefficient is 0).
/// </summary>
internal readonly struct Standardisation
{
    internal Standardisation(double[] mean, double[] deviation)
    {
        Mean = mean;
        Deviation = deviation;
    }

    internal double[] Mean { get; }
    internal double[] Deviation { get; }

    /// <summary>Checks the shape and that every value is finite, then measures each column.</summary>
    internal static Standardisation Measure(ReadOnlySpan<double> features, int rows, out int featureCount)
    {
        if (rows == 0)
            throw new ArgumentException("the training set has no rows");
        if (features.Length % rows != 0)
            throw new ArgumentException($"the training matrix has {features.Length} values, not a whole number of columns for {rows} labels");
        var p = features.Length / rows;
        featureCount = p;
        var mean = new double[p];
        var deviation = new double[p];
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < p; j++)
            {
                var x = features[i * p + j];
                if (!double.IsFinite(x))
                    throw new ArgumentException($"feature {j} of row {i} is {x}; linear models need finite values (impute or drop missing rows first)");
                mean[j] += x;
            }
        for (var j = 0; j < p; j++)
            mean[j] /= rows;
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < p; j++)
            {
                var d = features[i * p + j] - mean[j];
                deviation[j] += d * d;
            }
        for (var j = 0; j < p; j++)
        {
            var s = Math.Sqrt(deviation[j] / rows);
            // a column equal to its mean up to rounding counts as constant
            deviation[j] = s > 1e-12 * Math.Max(1.0, Math.Abs(mean[j])) ? s : 0.0;
        }
        return new Standardisation(mean, deviation);
    }

    /// <summary>The standardised value (x − mean) / deviation, or 0 for a constant column.</summary>
    internal double Scale(int feature, double x) =>
        Deviation[feature] == 0 ? 0.0 : (x - Mean[feature]) / Deviation[feature];
}
