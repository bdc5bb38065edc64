namespace StrategyLab.Runtime.Models.Training;

/// <summary>
/// Rows for a model: a row-major matrix [rows × <see cref="Width"/>] of features, one label per
/// row (NaN when the rows are only predicted) and the (bar, asset) each row belongs to. For an
/// LSTM a row is a sequence: <c>window</c> bars of every feature, oldest first
/// ([window × features] values).
/// </summary>
public sealed record TrainingSet(double[] Features, double[] Labels, int[] Bars, int[] Assets, int Width)
{
    /// <summary>Number of rows.</summary>
    public int Rows => Bars.Length;
}

/// <summary>
/// A model's enabled inputs as [time × asset] columns, cut into rows: a row at (bar, asset) holds
/// every input at that bar (tabular models), or at each of the <see cref="Window"/> bars ending
/// there (sequence models). A row with any non-finite value, in any bar of its window, is skipped,
/// so sequences never span a gap.
/// </summary>
public sealed class FeatureColumns
{
    private readonly IReadOnlyList<double[]> _columns;

    /// <summary>Wraps <paramref name="columns"/>, each [bars × assets].</summary>
    public FeatureColumns(IReadOnlyList<double[]> columns, int bars, int assets, int window)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        if (columns.Count == 0)
            throw new ArgumentException("a model needs at least one input");
        foreach (var c in columns)
        {
            if (c.Length != bars * assets)
                throw new ArgumentException($"an input column holds {c.Length} values, not {bars} × {assets}");
        }
        _columns = columns;
        Bars = bars;
        Assets = assets;
        Window = window;
    }

    /// <summary>Bars of the panel.</summary>
    public int Bars { get; }

    /// <summary>Assets of the panel.</summary>
    public int Assets { get; }

    /// <summary>Bars per row: 1 for tabular models, the sequence length for LSTMs.</summary>
    public int Window { get; }

    /// <summary>Inputs per bar.</summary>
    public int Features => _columns.Count;

    /// <summary>Values per row.</summary>
    public int Width => Window * Features;

    /// <summary>
    /// The rows of bars <c>[from, to)</c> for which <paramref name="include"/> holds and every value
    /// is finite, in bar then asset order; with a <paramref name="label"/> column, rows whose label
    /// is not finite are skipped too.
    /// </summary>
    public TrainingSet Rows(int from, int to, Func<int, bool> include, double[]? label)
    {
        ArgumentNullException.ThrowIfNull(include);
        var features = new List<double>();
        var labels = new List<double>();
        var bars = new List<int>();
        var assets = new List<int>();
        from = Math.Max(from, Window - 1);
        for (var t = from; t < Math.Min(to, Bars); t++)
        {
            if (!include(t))
                continue;
            for (var a = 0; a < Assets; a++)
            {
                var y = label is null ? double.NaN : label[t * Assets + a];
                if (label is not null && !double.IsFinite(y))
                    continue;
                if (!Complete(t, a))
                    continue;
                for (var s = t - Window + 1; s <= t; s++)
                {
                    foreach (var c in _columns)
                        features.Add(c[s * Assets + a]);
                }
                labels.Add(y);
                bars.Add(t);
                assets.Add(a);
            }
        }
        return new TrainingSet([.. features], [.. labels], [.. bars], [.. assets], Width);
    }

    private bool Complete(int t, int a)
    {
        for (var s = t - Window + 1; s <= t; s++)
        {
            foreach (var c in _columns)
            {
                if (!double.IsFinite(c[s * Assets + a]))
                    return false;
            }
        }
        return true;
    }
}

/// <summary>
/// Per-feature standardisation z = (x − mean) / sd (population sd; 1 for a constant feature),
/// measured on training rows only and applied unchanged to every later row.
/// </summary>
public sealed record FeatureScaling(double[] Mean, double[] Deviation)
{
    /// <summary>Measures every value of each feature in <paramref name="rows"/>, whose rows are windows of <paramref name="features"/> inputs.</summary>
    public static FeatureScaling Measure(TrainingSet rows, int features)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var mean = new double[features];
        var sd = new double[features];
        var count = rows.Features.Length / features;
        if (count == 0)
            throw new ArgumentException("no rows to measure the feature scaling on");
        for (var i = 0; i < rows.Features.Length; i++)
            mean[i % features] += rows.Features[i];
        for (var f = 0; f < features; f++)
            mean[f] /= count;
        for (var i = 0; i < rows.Features.Length; i++)
        {
            var d = rows.Features[i] - mean[i % features];
            sd[i % features] += d * d;
        }
        for (var f = 0; f < features; f++)
        {
            sd[f] = Math.Sqrt(sd[f] / count);
            if (!(sd[f] > 0))
                sd[f] = 1;
        }
        return new FeatureScaling(mean, sd);
    }

    /// <summary>Returns a standardised copy of row-major values whose rows are windows of this scaling's features.</summary>
    public double[] Apply(ReadOnlySpan<double> values)
    {
        var f = Mean.Length;
        var result = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
            result[i] = (values[i] - Mean[i % f]) / Deviation[i % f];
        return result;
    }
}
