using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Search.Samplers;

/// <summary>
/// A parameter seen on the line samplers search along: log scale taken, grids widened by half a step
/// at each end so that every grid point owns an equal cell, and categorical choices as their index.
/// A value <c>x</c> on that line maps back to the nearest value of the distribution (<see cref="External"/>).
/// </summary>
/// <remarks>
/// Int and stepped float parameters on a linear scale are <see cref="IsDiscrete"/> with cell width
/// <see cref="Step"/>; on a log scale they are continuous in log space and rounded to the grid afterwards
/// (the grid is not even in log space). <see cref="Low"/> and <see cref="High"/> bound the line.
/// </remarks>
internal sealed class ParameterScale
{
    private readonly double _low, _step;
    private readonly long _cells;

    private ParameterScale(SearchParameter parameter, double low, double high, double step, bool discrete, double gridLow, double gridStep, long cells)
    {
        Parameter = parameter;
        Low = low;
        High = high;
        Step = discrete ? step : 0;
        _low = gridLow;
        _step = gridStep;
        _cells = cells;
    }

    /// <summary>The parameter.</summary>
    public SearchParameter Parameter { get; }

    /// <summary>The lowest point of the line.</summary>
    public double Low { get; }

    /// <summary>The highest point of the line.</summary>
    public double High { get; }

    /// <summary>The grid's cell width on the line for a discrete parameter, 0 for a continuous one.</summary>
    public double Step { get; }

    /// <summary>True for int and stepped float parameters on a linear scale.</summary>
    public bool IsDiscrete => Step > 0;

    /// <summary>True for a categorical parameter (its line holds the choices' indices).</summary>
    public bool IsCategorical => Parameter.Distribution is CategoricalDistribution;

    /// <summary>The number of choices of a categorical parameter.</summary>
    public int Choices => Parameter.Distribution is CategoricalDistribution c ? c.Choices.Length : 0;

    /// <summary>True when the distribution holds a single value.</summary>
    public bool IsFixed => IsCategorical ? Choices == 1 : !(High > Low) || (_step > 0 && _cells == 0);

    /// <summary>Returns the scale of <paramref name="parameter"/>, or throws a one-line error for an unusable distribution.</summary>
    public static ParameterScale Of(SearchParameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        return parameter.Distribution switch
        {
            IntDistribution d => OfInt(parameter, d),
            FloatDistribution d => OfFloat(parameter, d),
            CategoricalDistribution d => OfCategorical(parameter, d),
            _ => throw new ArgumentException($"parameter '{parameter.Name}': unknown distribution {parameter.Distribution.GetType().Name}"),
        };
    }

    /// <summary>Returns the scales of a space, checking names, distributions and that conditions refer to earlier parameters.</summary>
    public static ParameterScale[] Of(SearchSpace space)
    {
        ArgumentNullException.ThrowIfNull(space);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var scales = new ParameterScale[space.Parameters.Length];
        for (var i = 0; i < scales.Length; i++)
        {
            var p = space.Parameters[i];
            if (p.When is { } c && !seen.Contains(c.Parameter))
                throw new ArgumentException($"parameter '{p.Name}': its condition names '{c.Parameter}', which is not a parameter before it");
            if (!seen.Add(p.Name))
                throw new ArgumentException($"parameter '{p.Name}' is defined twice");
            scales[i] = Of(p);
        }
        return scales;
    }

    /// <summary>The point of <paramref name="value"/> on the line, false when the distribution cannot give it.</summary>
    public bool TryInternal(ScalarValue value, out double x)
    {
        x = 0;
        if (!Parameter.Distribution.Contains(value))
            return false;
        switch (Parameter.Distribution)
        {
            case CategoricalDistribution c:
                x = c.Choices.IndexOf(value);
                return true;
            case IntDistribution { Log: true }:
            case FloatDistribution { Log: true }:
                x = Math.Log(value.Number);
                return true;
            default:
                x = value.Number;
                return true;
        }
    }

    /// <summary>The distribution's value nearest to the point <paramref name="x"/> of the line.</summary>
    public ScalarValue External(double x)
    {
        switch (Parameter.Distribution)
        {
            case CategoricalDistribution c:
                return c.Choices[(int)Math.Clamp(Math.Round(x), 0, c.Choices.Length - 1)];
            case IntDistribution d:
                return ScalarValue.Of(OnGrid(d.Log ? Math.Exp(x) : x));
            case FloatDistribution d when d.Step is not null:
                return ScalarValue.Of(Math.Clamp(OnGrid(d.Log ? Math.Exp(x) : x), d.Low, d.High));
            case FloatDistribution d:
                return ScalarValue.Of(Math.Clamp(d.Log ? Math.Exp(x) : x, d.Low, d.High));
            default:
                throw new InvalidOperationException($"parameter '{Parameter.Name}': unknown distribution");
        }
    }

    /// <summary>The number of grid points of an int, stepped float or categorical parameter; null for a continuous one.</summary>
    public long? GridPoints => IsCategorical ? Choices : _step > 0 ? _cells + 1 : null;

    /// <summary>The <paramref name="index"/>-th grid point (0-based, in increasing order or in the order of the choices).</summary>
    public ScalarValue GridPoint(long index) => Parameter.Distribution is CategoricalDistribution c
        ? c.Choices[(int)index]
        : ScalarValue.Of(Parameter.Distribution is FloatDistribution f ? Math.Min(_low + (index * _step), f.High) : _low + (index * _step));

    /// <summary>The index of <paramref name="value"/> among the grid points, or −1 when it is none of them.</summary>
    public long GridIndex(ScalarValue value)
    {
        if (!Parameter.Distribution.Contains(value))
            return -1;
        if (Parameter.Distribution is CategoricalDistribution c)
            return c.Choices.IndexOf(value);
        return _step > 0 ? (long)Math.Clamp(Math.Round((value.Number - _low) / _step), 0, _cells) : -1;
    }

    /// <summary>A value drawn uniformly: every choice or grid point equally likely, uniform on the line otherwise (log-uniform on a log scale).</summary>
    public ScalarValue DrawUniform(Random random) =>
        IsCategorical ? GridPoint(random.Next(Choices))
        : IsDiscrete ? GridPoint(random.NextInt64(_cells + 1))
        : External(Low + (random.NextDouble() * (High - Low)));

    private double OnGrid(double v)
    {
        var k = Math.Clamp(Math.Round((v - _low) / _step), 0, _cells);
        return _low + (k * _step);
    }

    private static ParameterScale OfInt(SearchParameter p, IntDistribution d)
    {
        if (d.Low > d.High)
            throw new ArgumentException($"parameter '{p.Name}': low {d.Low} is above high {d.High}");
        if (d.Step < 1)
            throw new ArgumentException($"parameter '{p.Name}': step must be at least 1, found {d.Step}");
        if (d.Log && d.Low < 1)
            throw new ArgumentException($"parameter '{p.Name}': a log scale needs a low bound of at least 1, found {d.Low}");
        var cells = (d.High - d.Low) / d.Step;
        double step = d.Step, low = d.Low, high = d.Low + (cells * d.Step);
        return d.Log
            ? new ParameterScale(p, Math.Log(Math.Max(low - (step / 2), low / 2)), Math.Log(high + (step / 2)), 0, false, low, step, cells)
            : new ParameterScale(p, low - (step / 2), high + (step / 2), step, true, low, step, cells);
    }

    private static ParameterScale OfFloat(SearchParameter p, FloatDistribution d)
    {
        if (!double.IsFinite(d.Low) || !double.IsFinite(d.High))
            throw new ArgumentException($"parameter '{p.Name}': bounds must be finite numbers, found {d.Low} and {d.High}");
        if (d.Low > d.High)
            throw new ArgumentException($"parameter '{p.Name}': low {d.Low} is above high {d.High}");
        if (d.Log && d.Low <= 0)
            throw new ArgumentException($"parameter '{p.Name}': a log scale needs a low bound above 0, found {d.Low}");
        if (d.Step is not { } step)
            return d.Log
                ? new ParameterScale(p, Math.Log(d.Low), Math.Log(d.High), 0, false, 0, 0, 0)
                : new ParameterScale(p, d.Low, d.High, 0, false, 0, 0, 0);
        if (!(step > 0) || !double.IsFinite(step))
            throw new ArgumentException($"parameter '{p.Name}': step must be a positive number, found {step}");
        // a grid point within the distribution's tolerance of high still counts (0.1 + 3 × 0.1 is above 0.4)
        var cells = (long)Math.Floor(((d.High - d.Low) / step) + 1e-9);
        double low = d.Low, high = d.Low + (cells * step);
        return d.Log
            ? new ParameterScale(p, Math.Log(Math.Max(low - (step / 2), low / 2)), Math.Log(high + (step / 2)), 0, false, low, step, cells)
            : new ParameterScale(p, low - (step / 2), high + (step / 2), step, true, low, step, cells);
    }

    private static ParameterScale OfCategorical(SearchParameter p, CategoricalDistribution d)
    {
        if (d.Choices.IsDefaultOrEmpty)
            throw new ArgumentException($"parameter '{p.Name}': a categorical parameter needs at least one choice");
        if (d.Choices.Distinct().Count() != d.Choices.Length)
            throw new ArgumentException($"parameter '{p.Name}': its choices repeat a value");
        return new ParameterScale(p, -0.5, d.Choices.Length - 0.5, 0, false, 0, 1, d.Choices.Length - 1);
    }
}
