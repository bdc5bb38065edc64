namespace StrategyLab.Exchanges.Streaming;

/// <summary>
/// Exponential backoff with jitter for reconnects: the n-th consecutive failure waits between half and all of
/// <c>min(max, base · 2^(n−1))</c>, so that many clients dropped together do not return together.
/// </summary>
internal sealed record Backoff(TimeSpan Base, TimeSpan Max, Func<double> Jitter)
{
    public TimeSpan Delay(int failures)
    {
        var exponent = Math.Min(Math.Max(failures, 1) - 1, 30);
        var ceiling = Math.Min(Base.Ticks * Math.Pow(2, exponent), Max.Ticks);
        return TimeSpan.FromTicks((long)(ceiling * (0.5 + (0.5 * Jitter()))));
    }
}
