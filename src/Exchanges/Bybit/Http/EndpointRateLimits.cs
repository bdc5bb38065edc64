using System.Collections.Concurrent;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Exchanges.Bybit.Http;

/// <summary>
/// Bybit's per-endpoint request limits as its answers report them (https://bybit-exchange.github.io/docs/v5/rate-limit):
/// <c>X-Bapi-Limit-Status</c> (requests left in the current window), <c>X-Bapi-Limit</c> (the window's limit) and
/// <c>X-Bapi-Limit-Reset-Timestamp</c> (when the window resets, on the venue's clock, ms). A request to an endpoint
/// with nothing left waits until its reset first, at most <paramref name="longestWait"/>.
/// </summary>
internal sealed class EndpointRateLimits(TimeProvider venueClock, TimeSpan longestWait)
{
    private readonly ConcurrentDictionary<string, Headroom> _endpoints = new(StringComparer.Ordinal);

    /// <summary>
    /// Each endpoint's use of its window, by path: what the venue last said was used of its limit, or nothing once the
    /// window it spoke of has reset. An endpoint whose limit was not stated is left out rather than given one.
    /// </summary>
    public IReadOnlyList<RateLimitUse> Uses()
    {
        var now = venueClock.GetUtcNow();
        return [.. _endpoints
            .Where(e => e.Value.Limit > 0)
            .OrderBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => new RateLimitUse(e.Key, e.Value.ResetsAt is { } reset && reset <= now ? 0 : Math.Max(0, e.Value.Limit - e.Value.Remaining), e.Value.Limit))];
    }

    /// <summary>How long a request to <paramref name="path"/> should wait before it is sent: zero unless the window is spent.</summary>
    public TimeSpan WaitBefore(string path)
    {
        if (!_endpoints.TryGetValue(path, out var headroom) || headroom.Remaining > 0)
        {
            return TimeSpan.Zero;
        }

        return UntilReset(headroom.ResetsAt);
    }

    /// <summary>How long until the window of <paramref name="path"/> resets, when the venue said; null otherwise.</summary>
    public TimeSpan? UntilResetOf(string path) =>
        _endpoints.TryGetValue(path, out var headroom) && headroom.ResetsAt is not null ? UntilReset(headroom.ResetsAt) : null;

    /// <summary>Takes in the headers of an answer from <paramref name="path"/>.</summary>
    public void Observe(string path, long? remaining, long? limit, long? resetsAtMs)
    {
        if (remaining is null)
        {
            return;
        }

        var resets = resetsAtMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : (DateTimeOffset?)null;
        _endpoints[path] = new Headroom((int)Math.Min(remaining.Value, int.MaxValue), (int)Math.Min(limit ?? 0, int.MaxValue), resets);
    }

    private TimeSpan UntilReset(DateTimeOffset? resetsAt)
    {
        var wait = resetsAt is { } at ? at - venueClock.GetUtcNow() : TimeSpan.FromSeconds(1);
        return wait <= TimeSpan.Zero ? TimeSpan.Zero : wait > longestWait ? longestWait : wait;
    }

    /// <summary>An endpoint's window: requests left, the limit, and when it resets (venue time) if known.</summary>
    public sealed record Headroom(int Remaining, int Limit, DateTimeOffset? ResetsAt);
}
