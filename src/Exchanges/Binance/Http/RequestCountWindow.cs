namespace StrategyLab.Exchanges.Binance.Http;

/// <summary>
/// A sliding-window request limit for endpoints Binance limits by count instead of weight:
/// <c>GET /fapi/v1/fundingRate</c> "shares 500/5min/IP rate limit with GET /fapi/v1/fundingInfo"
/// (https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Get-Funding-Rate-History).
/// </summary>
internal sealed class RequestCountWindow(int maxRequests, TimeSpan window, TimeProvider time)
{
    private readonly Queue<DateTimeOffset> _sent = new();

    /// <summary>Waits, if needed, until one more request fits in the window, then counts it.</summary>
    public async Task AcquireAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var now = time.GetUtcNow();
            while (_sent.Count > 0 && _sent.Peek() + window <= now)
            {
                _sent.Dequeue();
            }

            if (_sent.Count < maxRequests)
            {
                _sent.Enqueue(now);
                return;
            }

            await Task.Delay(_sent.Peek() + window - now, time, cancellationToken).ConfigureAwait(false);
        }
    }
}
