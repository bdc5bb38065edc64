namespace StrategyLab.Exchanges.Http;

/// <summary>
/// Keeps requests within a venue's rate limit: a weight (or a count) per window of the venue's clock, one minute unless
/// <paramref name="window"/> says otherwise. Binance counts request weight per clock minute per IP (the "IP Limits" rules,
/// https://developers.binance.com/docs/binance-spot-api-docs/rest-api/limits, which the futures API shares; the USDⓈ-M
/// default is 2400 per minute) and orders per 10 seconds and per minute; MEXC counts requests per window.
/// The client counts the weight it spends; a venue's header of the weight used (Binance's <c>X-MBX-USED-WEIGHT-1M</c>,
/// which also counts other programs on the same IP) raises the count when it is higher. Before a request would cross
/// the limit the budget waits for the next window. Not thread-safe across concurrent callers by design: one client runs
/// its requests in sequence.
/// </summary>
internal sealed class RequestWeightBudget(int limitPerMinute, TimeProvider time, TimeSpan? window = null)
{
    private readonly TimeSpan Window = window ?? TimeSpan.FromMinutes(1);

    // the venue's minute may start a little after ours; waiting this much longer avoids landing in its old window
    private static readonly TimeSpan BoundaryMargin = TimeSpan.FromMilliseconds(250);

    private long _windowStartTicks = long.MinValue;
    private int _used;

    /// <summary>The weight counted in the current minute.</summary>
    public int Used => InCurrentWindow(time.GetUtcNow()) ? _used : 0;

    /// <summary>All weight counted by <see cref="AcquireAsync"/> since the budget was made.</summary>
    public long Spent { get; private set; }

    /// <summary>The configured limit.</summary>
    public int Limit => limitPerMinute;

    /// <summary>Waits, if needed, until <paramref name="weight"/> fits in the current minute, then counts it.</summary>
    public async Task AcquireAsync(int weight, CancellationToken cancellationToken)
    {
        var wanted = Math.Min(weight, limitPerMinute);
        while (true)
        {
            var now = time.GetUtcNow();
            Roll(now);
            if (_used + wanted <= limitPerMinute)
            {
                _used += wanted;
                Spent += weight;
                return;
            }

            var next = new DateTimeOffset(_windowStartTicks, TimeSpan.Zero) + Window + BoundaryMargin;
            await Task.Delay(next - now, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Takes in the venue's count of weight used this minute (the <c>X-MBX-USED-WEIGHT-1M</c> header).</summary>
    public void Observe(int usedByVenue)
    {
        Roll(time.GetUtcNow());
        _used = Math.Max(_used, usedByVenue);
    }

    /// <summary>Treats the current minute as spent, after the venue answered "too many requests".</summary>
    public void Exhaust()
    {
        Roll(time.GetUtcNow());
        _used = limitPerMinute;
    }

    private void Roll(DateTimeOffset now)
    {
        if (!InCurrentWindow(now))
        {
            _windowStartTicks = now.UtcTicks - (now.UtcTicks % Window.Ticks);
            _used = 0;
        }
    }

    private bool InCurrentWindow(DateTimeOffset now) =>
        _windowStartTicks != long.MinValue && now.UtcTicks >= _windowStartTicks && now.UtcTicks < _windowStartTicks + Window.Ticks;
}
