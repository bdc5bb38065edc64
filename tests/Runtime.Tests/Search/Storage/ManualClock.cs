namespace StrategyLab.Runtime.Tests.Search.Storage;

/// <summary>A clock that moves only when a test moves it, so that heartbeat expiry is tested without waiting.</summary>
internal sealed class ManualClock : TimeProvider
{
    private long _ticks = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero).UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan span) => Interlocked.Add(ref _ticks, span.Ticks);
}
