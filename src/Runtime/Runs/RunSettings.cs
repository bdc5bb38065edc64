using StrategyLab.Runtime.Evaluation;

namespace StrategyLab.Runtime.Runs;

/// <summary>What a run changes about the plan's own terms: the traded period, costs and capital.</summary>
/// <param name="From">First bar time to trade (Unix ms), or null for the start of the data; earlier bars still warm the indicators up.</param>
/// <param name="To">Bar time to stop before (Unix ms), or null for the end.</param>
/// <param name="Fee">A fee for both maker and taker fills replacing the plan's (a fraction: 5 bps = 0.0005), or null.</param>
/// <param name="MinNotional">The venue's minimum order notional in the quote currency (the plan's <c>min_notional</c> rule says what happens below it), or null for none.</param>
/// <param name="Capital">Starting cash in the quote currency.</param>
/// <param name="Threads">Threads one run may use: 1 keeps it on the calling thread (a sweep's trials run side by side), 0 lets it use two where the machine has them.</param>
public sealed record RunSettings(long? From = null, long? To = null, double? Fee = null, double? MinNotional = null, double Capital = RunSettings.DefaultCapital,
    int Threads = 0)
{
    /// <summary>The starting cash when none is given.</summary>
    public const double DefaultCapital = 10_000;

    /// <summary>The whole history, the plan's costs, 10,000 of capital.</summary>
    public static RunSettings Default { get; } = new();

    /// <summary>Throws a <see cref="PlanException"/> naming the first setting no run can use.</summary>
    public void Validate()
    {
        if (!double.IsFinite(Capital) || Capital <= 0)
            throw new PlanException($"--capital: expected a positive amount, found {Capital}");
        if (Fee is { } fee && (!double.IsFinite(fee) || fee < 0 || fee >= 1))
            throw new PlanException($"--fee: expected 0 to 10,000 bps, found {fee * 10_000} bps");
        if (MinNotional is { } min && (!double.IsFinite(min) || min < 0))
            throw new PlanException($"--min-notional: expected 0 or more, found {min}");
        if (From is { } f && To is { } t && t <= f)
            throw new PlanException("--to: the period ends before it starts");
    }
}
