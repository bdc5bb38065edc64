using System.Globalization;
using StrategyLab.Runtime.Evaluation;

namespace StrategyLab.Runtime.Search;

/// <summary>Bars [<see cref="Start"/>, <see cref="End"/>) of the prepared panel.</summary>
public readonly record struct BarRange(int Start, int End)
{
    /// <summary>Bars in the range.</summary>
    public int Length => End - Start;
}

/// <summary>
/// One walk-forward window: parameters are chosen on <see cref="InSample"/> (leaving out the returns of
/// the <see cref="Embargoed"/> bars) and traded on <see cref="OutOfSample"/>.
/// </summary>
public sealed record WalkForwardWindow(int Index, BarRange InSample, BarRange OutOfSample, IReadOnlyList<BarRange> Embargoed);

/// <summary>How a trial is scored: on the whole period, or as the mean over walk-forward test folds (each a step for pruners).</summary>
/// <param name="Folds">Consecutive test windows of equal length covering the period (1: the whole period).</param>
/// <param name="Purge">Bars left out at the start of every fold after the first, so that no fold's first decisions read the bars the previous fold ended on.</param>
public sealed record CrossValidation(int Folds = 1, int Purge = 0)
{
    /// <summary>The whole period as one fold.</summary>
    public static CrossValidation None { get; } = new();

    /// <summary>
    /// Parses <c>walk-forward:folds=5,purge=10</c> (or <c>none</c>); purge is in bars.
    /// </summary>
    /// <exception cref="PlanException">Any other text, named.</exception>
    public static CrossValidation Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text == "none")
            return None;
        const string Prefix = "walk-forward";
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
            throw new PlanException($"--cv: expected walk-forward:folds=N[,purge=BARS] or none, found '{text}'");
        var options = Options(text[Prefix.Length..].TrimStart(':'), "--cv", ["folds", "purge"]);
        var cv = new CrossValidation(options.GetValueOrDefault("folds", 5), options.GetValueOrDefault("purge", 0));
        return cv.Folds < 1 || cv.Purge < 0 ? throw new PlanException($"--cv: expected folds ≥ 1 and purge ≥ 0, found '{text}'") : cv;
    }

    /// <summary>The folds of <paramref name="period"/>, each at least 2 bars after its purge.</summary>
    /// <exception cref="PlanException">The period is too short for so many folds.</exception>
    public IReadOnlyList<BarRange> Split(BarRange period)
    {
        var size = period.Length / Folds;
        if (size - Purge < 2)
            throw new PlanException($"--cv: {Folds} fold(s) of {period.Length} bars leave {size - Purge} bar(s) each after the purge of {Purge}; a fold needs at least 2");
        return [.. Enumerable.Range(0, Folds).Select(k => new BarRange(
            period.Start + (k * size) + (k == 0 ? 0 : Purge),
            k == Folds - 1 ? period.End : period.Start + ((k + 1) * size)))];
    }

    // NAME=INT pairs of the given names, separated by commas
    internal static Dictionary<string, int> Options(string text, string what, string[] names)
    {
        var options = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var pair in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? pair : pair[..eq];
            if (eq < 0 || !names.Contains(name) || !int.TryParse(pair[(eq + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
                throw new PlanException($"{what}: expected {string.Join(", ", names.Select(n => n + "=N"))}, found '{pair}'");
            options[name] = value;
        }
        return options;
    }
}

/// <summary>
/// Walk-forward optimisation windows: parameters are optimised on each in-sample window and traded on
/// the out-of-sample window after it; the out-of-sample windows follow each other without overlap, so
/// their returns stitch into one honest track record. Rolling windows keep the in-sample length;
/// anchored ones start every in-sample window at the period's start. <see cref="Purge"/> bars between an
/// in-sample window and its out-of-sample one are used by neither, and <see cref="Embargo"/> bars after
/// each out-of-sample window are left out of later in-sample windows (as in walk-forward training).
/// </summary>
public sealed record WalkForwardOptimization(bool Anchored, int Train, int Test, int Purge = 0, int Embargo = 0)
{
    /// <summary>Parses <c>rolling:train=750,test=250,purge=1,embargo=0</c> or <c>anchored:train=…</c> (bars).</summary>
    /// <exception cref="PlanException">Any other text, named.</exception>
    public static WalkForwardOptimization Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var kind = colon < 0 ? text : text[..colon];
        if (kind is not ("rolling" or "anchored"))
            throw new PlanException($"--walk-forward: expected rolling:train=BARS,test=BARS[,purge=BARS,embargo=BARS] or anchored:…, found '{text}'");
        var options = CrossValidation.Options(colon < 0 ? "" : text[(colon + 1)..], "--walk-forward", ["train", "test", "purge", "embargo"]);
        if (!options.TryGetValue("train", out var train) || !options.TryGetValue("test", out var test))
            throw new PlanException($"--walk-forward: give train=BARS and test=BARS, found '{text}'");
        var wfo = new WalkForwardOptimization(kind == "anchored", train, test, options.GetValueOrDefault("purge", 0), options.GetValueOrDefault("embargo", 0));
        return wfo.Train < 2 || wfo.Test < 2 || wfo.Purge < 0 || wfo.Embargo < 0
            ? throw new PlanException($"--walk-forward: expected train and test of at least 2 bars and purge, embargo ≥ 0, found '{text}'")
            : wfo;
    }

    /// <summary>The windows of <paramref name="period"/>, in time order; the last out-of-sample window may be shorter, never under 2 bars.</summary>
    /// <exception cref="PlanException">Not even one window fits.</exception>
    public IReadOnlyList<WalkForwardWindow> Windows(BarRange period)
    {
        var windows = new List<WalkForwardWindow>();
        for (var testStart = period.Start + Train + Purge; period.End - testStart >= 2; testStart += Test)
        {
            var inSample = new BarRange(Anchored ? period.Start : testStart - Purge - Train, testStart - Purge);
            // the bars just after each earlier out-of-sample window that fall inside this in-sample window
            var embargoed = windows
                .Select(w => new BarRange(Math.Max(w.OutOfSample.End, inSample.Start), Math.Min(w.OutOfSample.End + Embargo, inSample.End)))
                .Where(r => r.Length > 0)
                .ToList();
            windows.Add(new WalkForwardWindow(windows.Count, inSample, new BarRange(testStart, Math.Min(testStart + Test, period.End)), embargoed));
        }
        return windows.Count > 0
            ? windows
            : throw new PlanException($"--walk-forward: {period.Length} bars hold no window of {Train} in-sample, {Purge} purged and at least 2 out-of-sample bars");
    }
}
