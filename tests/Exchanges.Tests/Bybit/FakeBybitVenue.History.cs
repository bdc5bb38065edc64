using System.Globalization;
using System.Text.Json.Nodes;
using StrategyLab.Exchanges.Tests.Fakes;

namespace StrategyLab.Exchanges.Tests.Bybit;

/// <summary>
/// Bybit's public history endpoints on the fake, for the series a test adds here: <c>GET /v5/market/kline</c> (limit 1
/// to 1000, the newest klines of [start, end] first, as https://bybit-exchange.github.io/docs/v5/market/kline says)
/// and <c>GET /v5/market/funding/history</c> (limit 1 to 200, the newest first, startTime alone refused, as
/// .../history-fund-rate says). A kline is served once it has begun by the venue's clock, with the values it has then
/// (the test gives each as Bybit writes it, a string); a funding rate once it has settled. A symbol the venue knows
/// nothing of is answered <c>10001 Not supported symbols</c>, as Bybit answers one.
/// </summary>
internal sealed partial class FakeBybitVenue
{
    private readonly Dictionary<(string Symbol, string Interval), SortedDictionary<long, string[]>> _historyKlines = [];
    private readonly Dictionary<string, SortedDictionary<long, string>> _historyFunding = new(StringComparer.Ordinal);

    /// <summary>A kline of the history endpoint: its start and the six strings open, high, low, close, volume and turnover.</summary>
    public void AddHistoryKline(string symbol, string interval, long start, params string[] values)
    {
        lock (_gate)
        {
            if (!_historyKlines.TryGetValue((symbol, interval), out var rows))
            {
                _historyKlines[(symbol, interval)] = rows = [];
            }

            rows[start] = [start.ToString(CultureInfo.InvariantCulture), .. values];
        }
    }

    /// <summary>A funding rate settled at <paramref name="time"/>, as Bybit writes it.</summary>
    public void AddFundingRate(string symbol, long time, string rate)
    {
        lock (_gate)
        {
            if (!_historyFunding.TryGetValue(symbol, out var rows))
            {
                _historyFunding[symbol] = rows = [];
            }

            rows[time] = rate;
        }
    }

    private (int Status, string Body)? AnswerHistory(ReceivedRequest request)
    {
        if (request.Method != "GET" || request.Path is not ("/v5/market/kline" or "/v5/market/funding/history"))
        {
            return null;
        }

        var p = ReceivedRequest.QueryHelpers(request.Query);
        var symbol = p.GetValueOrDefault("symbol") ?? "";
        lock (_gate)
        {
            var history = _historyKlines.Keys.Any(k => k.Symbol == symbol) || _historyFunding.ContainsKey(symbol);
            if (!history && !_symbols.ContainsKey(symbol) && !_klines.Keys.Any(k => k.Symbol == symbol))
            {
                return Error(10001, "Not supported symbols");
            }

            if (!history)
            {
                return null;
            }

            return request.Path == "/v5/market/kline" ? HistoryKlines(p, symbol) : FundingHistory(p, symbol);
        }
    }

    private (int, string) HistoryKlines(Dictionary<string, string> p, string symbol)
    {
        if (Limit(p, 200, 1000) is not { } limit)
        {
            return Error(10001, "params error: limit must be in [1, 1000]");
        }

        var start = Time(p, "start") ?? 0;
        var end = Time(p, "end") ?? long.MaxValue;
        var rows = _historyKlines.GetValueOrDefault((symbol, p.GetValueOrDefault("interval") ?? "")) ?? [];
        var selected = rows.Where(r => r.Key >= start && r.Key <= end && r.Key <= NowMs()).Reverse().Take(limit)
            .Select(r => (JsonNode)new JsonArray([.. r.Value.Select(v => (JsonNode)JsonValue.Create(v))]));
        return Ok(new JsonObject { ["symbol"] = symbol, ["category"] = "linear", ["list"] = new JsonArray([.. selected]) });
    }

    private (int, string) FundingHistory(Dictionary<string, string> p, string symbol)
    {
        if (Limit(p, 200, 200) is not { } limit)
        {
            return Error(10001, "params error: limit must be in [1, 200]");
        }

        var start = Time(p, "startTime");
        var end = Time(p, "endTime");
        if (start is not null && end is null)
        {
            return Error(10001, "params error: startTime needs endTime");
        }

        var rows = _historyFunding.GetValueOrDefault(symbol) ?? [];
        var selected = rows.Where(r => r.Key >= (start ?? 0) && r.Key <= (end ?? long.MaxValue) && r.Key <= NowMs()).Reverse().Take(limit)
            .Select(r => (JsonNode)new JsonObject
            {
                ["symbol"] = symbol,
                ["fundingRate"] = r.Value,
                ["fundingRateTimestamp"] = r.Key.ToString(CultureInfo.InvariantCulture),
            });
        return Ok(new JsonObject { ["category"] = "linear", ["list"] = new JsonArray([.. selected]) });
    }

    private static int? Limit(Dictionary<string, string> p, int byDefault, int most) =>
        int.Parse(p.GetValueOrDefault("limit") ?? byDefault.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) is var limit && limit >= 1 && limit <= most ? limit : null;

    private static long? Time(Dictionary<string, string> p, string name) =>
        p.TryGetValue(name, out var text) ? long.Parse(text, CultureInfo.InvariantCulture) : null;
}
