namespace StrategyLab.Exchanges;

/// <summary>
/// A venue's clock as seen from this machine. What the venue says its time is (a server-time endpoint to the
/// millisecond, a Date header to the second) is taken together with the local times the request left and the answer
/// arrived, which bounds the offset between the venue's clock and the local one to an interval. Observations narrow
/// the interval; between them it widens by <see cref="DriftAllowance"/> of the time elapsed, so it stays true while
/// either clock drifts. An observation outside the interval (a clock stepped on either side) replaces it.
/// <para>
/// As a <see cref="TimeProvider"/>, <see cref="GetUtcNow"/> is the venue's time (the middle of the interval, or the
/// local time before the first observation); timers and timestamps are the local provider's, so delays last as long
/// as they say. Decisions that must not run ahead of the venue (is a bar closed?) use <see cref="Earliest"/>.
/// Thread-safe.
/// </para>
/// </summary>
/// <example>
/// A server-time answer of 02:14:49.500 to a request sent at local 02:15:03.000 and answered at 02:15:03.040 puts the
/// venue 13.54 s to 13.499 s behind: <c>Earliest(local)</c> is then <c>local − 13.54 s</c>.
/// </example>
public sealed class VenueClock : TimeProvider
{
    /// <summary>How fast the offset may change between observations: 500 ppm, the most NTP slews a clock.</summary>
    public const double DriftAllowance = 500e-6;

    private readonly Lock _gate = new();
    private readonly TimeProvider _local;
    private bool _observed;
    private long _lowTicks;
    private long _highTicks;
    private DateTimeOffset _observedAt;

    /// <summary>Creates a clock with no observation yet, over <paramref name="local"/> (default the system clock).</summary>
    public VenueClock(TimeProvider? local = null) => _local = local ?? System;

    /// <summary>The local clock the venue's is measured against.</summary>
    public TimeProvider Local => _local;

    /// <summary>Whether the venue's time has been observed at least once.</summary>
    public bool IsObserved
    {
        get
        {
            lock (_gate)
            {
                return _observed;
            }
        }
    }

    /// <summary>The local time of the last observation, or null before the first.</summary>
    public DateTimeOffset? LastObserved
    {
        get
        {
            lock (_gate)
            {
                return _observed ? _observedAt : null;
            }
        }
    }

    /// <summary>The venue's time minus the local time, as best known now (zero before the first observation).</summary>
    public TimeSpan Offset
    {
        get
        {
            var (low, high) = Bounds(_local.GetUtcNow());
            return TimeSpan.FromTicks(low + ((high - low) / 2));
        }
    }

    /// <summary>
    /// Takes in the venue's statement that its time was <paramref name="venueTime"/> (truncated to
    /// <paramref name="resolution"/>) at some moment between <paramref name="sentAt"/> and <paramref name="receivedAt"/>
    /// on the local clock. Returns false when it contradicted what was known, which it then replaces.
    /// </summary>
    public bool Observe(DateTimeOffset venueTime, TimeSpan resolution, DateTimeOffset sentAt, DateTimeOffset receivedAt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(resolution, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(receivedAt, sentAt);

        // the venue's clock read venueTime .. venueTime + resolution while the local one read sentAt .. receivedAt
        var low = (venueTime - receivedAt).Ticks;
        var high = (venueTime + resolution - sentAt).Ticks;
        lock (_gate)
        {
            if (_observed)
            {
                var (knownLow, knownHigh) = Aged(receivedAt);
                var narrowedLow = Math.Max(low, knownLow);
                var narrowedHigh = Math.Min(high, knownHigh);
                if (narrowedLow <= narrowedHigh)
                {
                    (_lowTicks, _highTicks, _observedAt) = (narrowedLow, narrowedHigh, receivedAt);
                    return true;
                }
            }

            var agreed = !_observed;
            (_observed, _lowTicks, _highTicks, _observedAt) = (true, low, high, receivedAt);
            return agreed;
        }
    }

    /// <summary>
    /// Whether the venue's statement that its time was <paramref name="venueTime"/> (truncated to
    /// <paramref name="resolution"/>) between <paramref name="sentAt"/> and <paramref name="receivedAt"/> contradicts
    /// what is known; false before the first observation. The clock is left unchanged.
    /// </summary>
    public bool Contradicts(DateTimeOffset venueTime, TimeSpan resolution, DateTimeOffset sentAt, DateTimeOffset receivedAt)
    {
        lock (_gate)
        {
            if (!_observed)
            {
                return false;
            }

            var (knownLow, knownHigh) = Aged(receivedAt);
            var low = (venueTime - receivedAt).Ticks;
            var high = (venueTime + resolution - sentAt).Ticks;
            return Math.Max(low, knownLow) > Math.Min(high, knownHigh);
        }
    }

    /// <summary>The earliest the venue's clock can read when the local one reads <paramref name="localTime"/>.</summary>
    /// <exception cref="InvalidOperationException">The venue's time has not been observed yet.</exception>
    public DateTimeOffset Earliest(DateTimeOffset localTime) => localTime + TimeSpan.FromTicks(RequireBounds(localTime).Low);

    /// <summary>The latest the venue's clock can read when the local one reads <paramref name="localTime"/>.</summary>
    /// <exception cref="InvalidOperationException">The venue's time has not been observed yet.</exception>
    public DateTimeOffset Latest(DateTimeOffset localTime) => localTime + TimeSpan.FromTicks(RequireBounds(localTime).High);

    /// <summary>The venue's time now: the local time moved by <see cref="Offset"/>.</summary>
    public override DateTimeOffset GetUtcNow()
    {
        var local = _local.GetUtcNow();
        var (low, high) = Bounds(local);
        return local + TimeSpan.FromTicks(low + ((high - low) / 2));
    }

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        _local.CreateTimer(callback, state, dueTime, period);

    /// <inheritdoc/>
    public override long GetTimestamp() => _local.GetTimestamp();

    /// <inheritdoc/>
    public override long TimestampFrequency => _local.TimestampFrequency;

    /// <inheritdoc/>
    public override TimeZoneInfo LocalTimeZone => _local.LocalTimeZone;

    private (long Low, long High) Bounds(DateTimeOffset localTime)
    {
        lock (_gate)
        {
            return _observed ? Aged(localTime) : (0, 0);
        }
    }

    private (long Low, long High) RequireBounds(DateTimeOffset localTime)
    {
        lock (_gate)
        {
            return _observed
                ? Aged(localTime)
                : throw new InvalidOperationException("the venue's time has not been observed yet");
        }
    }

    // the interval as it stands at localTime, widened for drift since it was last narrowed
    private (long Low, long High) Aged(DateTimeOffset localTime)
    {
        var elapsed = Math.Abs((localTime - _observedAt).Ticks);
        var slack = (long)Math.Ceiling(elapsed * DriftAllowance);
        return (_lowTicks - slack, _highTicks + slack);
    }
}
