using System.Globalization;
using System.Text.Json.Nodes;
using StrategyLab.Exchanges.Tests.Fakes;

namespace StrategyLab.Exchanges.Tests.Mexc;

/// <summary>
/// MEXC's public history endpoints on the fake, for the series a test adds here: <c>GET /api/v1/contract/kline/{symbol}</c>
/// by interval (Min1 … Month1), the klines of windows starting in [start, end] (Unix seconds), oldest first, at most
/// 2000, in the columnar shape of https://mexcdevelop.github.io/apidocs/contract_v1_en ("K-line data"); and
/// <c>GET /api/v1/contract/funding_rate/history</c>, pages of settled rates newest first ("Get contract funding rate
/// history"). Numbers are served as the text the test gives (MEXC writes some as 6.106243567181e7), so parsing is checked
/// against the venue's own text. A kline is served from its start, with the values the test gives for it then; a
/// funding rate once it has settled. Funding of a contract the fake has no history of is answered 1001.
/// </summary>
internal sealed partial class FakeMexcVenue
{
    private readonly Dictionary<(string Symbol, string Interval), SortedDictionary<long, string[]>> _historyKlines = [];
    private readonly Dictionary<string, SortedDictionary<long, string>> _historyFunding = new(StringComparer.Ordinal);

    /// <summary>A kline of the history endpoint: its window start in seconds and the numbers open, high, low, close, vol and amount as MEXC writes them.</summary>
    public void AddHistoryKline(string symbol, string interval, long startSeconds, params string[] values)
    {
        lock (_gate)
        {
            if (!_historyKlines.TryGetValue((symbol, interval), out var rows))
            {
                _historyKlines[(symbol, interval)] = rows = [];
            }

            rows[startSeconds] = values;
        }
    }

    /// <summary>A funding rate settled at <paramref name="settleTime"/> (Unix ms), as MEXC writes it.</summary>
    public void AddFundingRate(string symbol, long settleTime, string rate)
    {
        lock (_gate)
        {
            if (!_historyFunding.TryGetValue(symbol, out var rows))
            {
                _historyFunding[symbol] = rows = [];
            }

            rows[settleTime] = rate;
        }
    }

    private (int Status, string Body)? AnswerHistory(ReceivedRequest request)
    {
        var path = request.Path.TrimStart('/');
        var p = ReceivedRequest.QueryHelpers(request.Query);
        lock (_gate)
        {
            if (request.Method == "GET" && path.StartsWith("api/v1/contract/kline/", StringComparison.Ordinal)
                && path["api/v1/contract/kline/".Length..] is var symbol && _historyKlines.Keys.Any(k => k.Symbol == symbol))
            {
                return HistoryKlines(symbol, p);
            }

            if (request.Method == "GET" && path == "api/v1/contract/funding_rate/history")
            {
                return FundingHistory(p);
            }
        }

        return null;
    }

    private (int, string) HistoryKlines(string symbol, Dictionary<string, string> p)
    {
        var start = long.Parse(p.GetValueOrDefault("start") ?? "0", CultureInfo.InvariantCulture);
        var end = p.TryGetValue("end", out var e) ? long.Parse(e, CultureInfo.InvariantCulture) : long.MaxValue;
        var rows = (_historyKlines.GetValueOrDefault((symbol, p.GetValueOrDefault("interval") ?? "Min1")) ?? [])
            .Where(r => r.Key >= start && r.Key <= end && r.Key * 1000 <= NowMs()).Take(2000).ToList();
        JsonArray Column(Func<KeyValuePair<long, string[]>, string> value) => [.. rows.Select(r => JsonNode.Parse(value(r)))];
        return Ok(new JsonObject
        {
            ["time"] = Column(r => r.Key.ToString(CultureInfo.InvariantCulture)),
            ["open"] = Column(r => r.Value[0]),
            ["close"] = Column(r => r.Value[3]),
            ["high"] = Column(r => r.Value[1]),
            ["low"] = Column(r => r.Value[2]),
            ["vol"] = Column(r => r.Value[4]),
            ["amount"] = Column(r => r.Value[5]),
        });
    }

    private (int, string) FundingHistory(Dictionary<string, string> p)
    {
        var symbol = p.GetValueOrDefault("symbol") ?? "";
        if (!_historyFunding.TryGetValue(symbol, out var rates))
        {
            return Error(1001, "Contract does not exist");
        }

        var page = int.Parse(p.GetValueOrDefault("page_num") ?? "1", CultureInfo.InvariantCulture);
        var size = int.Parse(p.GetValueOrDefault("page_size") ?? "20", CultureInfo.InvariantCulture);
        if (page < 1 || size is < 1 or > 1000)
        {
            return Error(600, "Parameter error");
        }

        var settled = rates.Where(r => r.Key <= NowMs()).Reverse().ToList();
        return Ok(new JsonObject
        {
            ["pageSize"] = size,
            ["totalCount"] = settled.Count,
            ["totalPage"] = (settled.Count + size - 1) / size,
            ["currentPage"] = page,
            ["resultList"] = new JsonArray([.. settled.Skip((page - 1) * size).Take(size).Select(r => (JsonNode)new JsonObject
            {
                ["symbol"] = symbol,
                ["fundingRate"] = JsonNode.Parse(r.Value),
                ["settleTime"] = r.Key,
            })]),
        });
    }
}
