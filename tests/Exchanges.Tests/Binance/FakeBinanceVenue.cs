using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace StrategyLab.Exchanges.Tests.Binance;

/// <summary>One kline as the venue holds it: the twelve values as it sends them.</summary>
internal sealed record FakeKline(long OpenTime, long CloseTime, string[] Fields)
{
    public string CsvLine => string.Join(',', Fields);

    /// <summary>
    /// The bar as the venue sends it while it is still open at <paramref name="venueNow"/>: the trades so far, which is
    /// the share of the bar's time elapsed of its trades and volumes, with the close moved as far towards its final close.
    /// </summary>
    public FakeKline InProgress(long venueNow)
    {
        var share = (decimal)(venueNow - OpenTime) / (CloseTime + 1 - OpenTime);
        var open = decimal.Parse(Fields[1], CultureInfo.InvariantCulture);
        var close = Math.Round(open + ((decimal.Parse(Fields[4], CultureInfo.InvariantCulture) - open) * share), 2);
        string Scaled(int field, string format) =>
            (decimal.Parse(Fields[field], CultureInfo.InvariantCulture) * share).ToString(format, CultureInfo.InvariantCulture);
        string[] fields =
        [
            Fields[0],
            Fields[1],
            Math.Max(open, close).ToString("F2", CultureInfo.InvariantCulture),
            Math.Min(open, close).ToString("F2", CultureInfo.InvariantCulture),
            close.ToString("F2", CultureInfo.InvariantCulture),
            Scaled(5, "F3"),
            Fields[6],
            Scaled(7, "F5"),
            ((long)(long.Parse(Fields[8], CultureInfo.InvariantCulture) * share)).ToString(CultureInfo.InvariantCulture),
            Scaled(9, "F3"),
            Scaled(10, "F5"),
            Fields[11],
        ];
        return this with { Fields = fields };
    }

    /// <summary>The same bar with another close and trade count, as a venue that revised it would send it.</summary>
    public FakeKline Revised(string close, int trades)
    {
        string[] fields = [.. Fields];
        fields[4] = close;
        fields[8] = trades.ToString(CultureInfo.InvariantCulture);
        return this with { Fields = fields };
    }

    public string Json =>
        $"[{Fields[0]},\"{Fields[1]}\",\"{Fields[2]}\",\"{Fields[3]}\",\"{Fields[4]}\",\"{Fields[5]}\",{Fields[6]},\"{Fields[7]}\",{Fields[8]},\"{Fields[9]}\",\"{Fields[10]}\",\"{Fields[11]}\"]";
}

internal sealed record FakeFunding(long Time, string Symbol, string Rate, string MarkPrice)
{
    public string CsvLine => $"{Time},{Symbol},{Rate},{MarkPrice}";

    public string Json => $"{{\"symbol\":\"{Symbol}\",\"fundingRate\":\"{Rate}\",\"fundingTime\":{Time},\"markPrice\":\"{MarkPrice}\"}}";
}

internal sealed record FakeOpenInterest(long Time, string Symbol, string Sum, string Value)
{
    public string CsvLine => $"{Time},{Symbol},{Sum},{Value}";

    public string Json => $"{{\"symbol\":\"{Symbol}\",\"sumOpenInterest\":\"{Sum}\",\"sumOpenInterestValue\":\"{Value}\",\"timestamp\":{Time}}}";
}

/// <summary>How the venue misbehaves on one request.</summary>
internal sealed record Fault(string Kind, int RetryAfterSeconds = 0)
{
    /// <summary>HTTP 429; a Retry-After of 0 seconds means the header is left out.</summary>
    public static Fault TooManyRequests(int retryAfterSeconds) => new("429", retryAfterSeconds);

    public static Fault Ban(int retryAfterSeconds) => new("418", retryAfterSeconds);

    public static Fault ServerError() => new("503");

    public static Fault MalformedBody() => new("malformed");

    public static Fault DropMidBody() => new("drop");

    /// <summary>Closes the connection cleanly (FIN) after reading the request, before any byte of an answer.</summary>
    public static Fault CloseWithoutAnswer() => new("close");

    /// <summary>HTTP 301 to another address.</summary>
    public static Fault Redirect() => new("301");

    /// <summary>Answers klines with one more bar at the end, opening an interval after the venue's own time.</summary>
    public static Fault BarFromTheFuture() => new("future");

    /// <summary>Answers klines from two bars before the requested start.</summary>
    public static Fault StartsTwoBarsEarly() => new("early");
}

/// <summary>A request the venue received.</summary>
internal sealed record VenueRequest(int Number, string Path, IReadOnlyDictionary<string, string> Query)
{
    public long Long(string name) => long.Parse(Query[name], CultureInfo.InvariantCulture);
}

/// <summary>
/// A Binance USDⓈ-M futures venue served by Kestrel on 127.0.0.1 (port chosen by the OS), holding generated history and
/// answering <c>/fapi/v1/time</c>, <c>/fapi/v1/klines</c>, <c>/fapi/v1/fundingRate</c> and <c>/futures/data/openInterestHist</c>
/// with the documented semantics (inclusive startTime/endTime, ascending, limit) and the documented shapes
/// (see TestData/binance/README.md). It keeps its own clock, <see cref="Now"/> moved by <see cref="ClockOffset"/>: the
/// server time, every answer's Date header and which bar is still open follow it. Bars that have not opened yet are not
/// served; the bar still open is served as it stands, with the trades so far. Faults can be injected per request number.
/// </summary>
internal sealed class FakeBinanceVenue : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<int, Fault> _faults = new();
    private readonly ConcurrentQueue<VenueRequest> _requests = new();
    private int _requestCount;
    private bool _stopped;

    private FakeBinanceVenue(WebApplication app) => _app = app;

    public Dictionary<(string Symbol, string Interval), List<FakeKline>> Klines { get; } = [];

    public Dictionary<string, List<FakeFunding>> Funding { get; } = [];

    public Dictionary<(string Symbol, string Period), List<FakeOpenInterest>> OpenInterest { get; } = [];

    /// <summary>The clock the venue's runs off: usually the test's clock, which the venue's differs from by <see cref="ClockOffset"/>.</summary>
    public Func<DateTimeOffset> Now { get; set; } = () => DateTimeOffset.UtcNow;

    /// <summary>How far the venue's clock is ahead of <see cref="Now"/> (negative: behind).</summary>
    public TimeSpan ClockOffset { get; set; }

    /// <summary>The venue's time.</summary>
    public DateTimeOffset VenueNow => Now() + ClockOffset;

    /// <summary>
    /// Answers klines from the bar that contains startTime, as some venues do, instead of from the first bar opening at
    /// or after it: asked from one millisecond after a bar's open time, it sends that bar again.
    /// </summary>
    public bool ServesBarContainingStartTime { get; set; }

    /// <summary>The value of X-MBX-USED-WEIGHT-1M on every answer.</summary>
    public int UsedWeight { get; set; } = 10;

    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    public IReadOnlyList<VenueRequest> Requests => [.. _requests.OrderBy(r => r.Number)];

    public static async Task<FakeBinanceVenue> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var venue = new FakeBinanceVenue(app);
        app.Run(venue.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        venue.BaseAddress = new Uri(address);
        return venue;
    }

    /// <summary>Makes request number <paramref name="number"/> (1-based, over all endpoints) fail with <paramref name="fault"/>.</summary>
    public void Fail(int number, Fault fault) => _faults[number] = fault;

    /// <summary>Stops answering: connections to the venue's port are refused from now on.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Generates <paramref name="count"/> klines from <paramref name="start"/>: a seeded random walk, decimals written with trailing zeros as the venue does.</summary>
    public static List<FakeKline> GenerateKlines(DateTimeOffset start, long intervalMs, int count, int seed)
    {
        var random = new Random(seed);
        var price = 42000.00m;
        var result = new List<FakeKline>(count);
        var t = start.ToUnixTimeMilliseconds();
        for (var i = 0; i < count; i++, t += intervalMs)
        {
            var open = price;
            var close = Math.Max(1m, open + (random.Next(-2000, 2001) / 100m));
            var high = Math.Max(open, close) + (random.Next(0, 500) / 100m);
            var low = Math.Min(open, close) - (random.Next(0, 500) / 100m);
            var volume = random.Next(1, 900_000) / 1000m;
            var quote = Math.Round(volume * close, 5);
            var takerShare = random.Next(0, 101) / 100m;
            string[] fields =
            [
                Text(t),
                open.ToString("F2", CultureInfo.InvariantCulture),
                high.ToString("F2", CultureInfo.InvariantCulture),
                low.ToString("F2", CultureInfo.InvariantCulture),
                close.ToString("F2", CultureInfo.InvariantCulture),
                volume.ToString("F3", CultureInfo.InvariantCulture),
                Text(t + intervalMs - 1),
                quote.ToString("F5", CultureInfo.InvariantCulture),
                Text(random.Next(0, 20000)),
                (volume * takerShare).ToString("F3", CultureInfo.InvariantCulture),
                Math.Round(quote * takerShare, 5).ToString("F5", CultureInfo.InvariantCulture),
                "0",
            ];
            result.Add(new FakeKline(t, t + intervalMs - 1, fields));
            price = close;
        }

        return result;
    }

    public static List<FakeFunding> GenerateFunding(string symbol, DateTimeOffset start, int count, int seed)
    {
        var random = new Random(seed);
        var t = start.ToUnixTimeMilliseconds();
        var result = new List<FakeFunding>(count);
        for (var i = 0; i < count; i++)
        {
            // funding times carry a few milliseconds of settlement delay, as the venue's do
            var time = t + (i * 8 * 3_600_000L) + random.Next(0, 10);
            var rate = (random.Next(-500, 1500) / 100_000_000m * 1000m).ToString("F8", CultureInfo.InvariantCulture);
            var mark = (30000m + (random.Next(0, 3_000_000) / 100m)).ToString("F8", CultureInfo.InvariantCulture);
            result.Add(new FakeFunding(time, symbol, rate, mark));
        }

        return result;
    }

    public static List<FakeOpenInterest> GenerateOpenInterest(string symbol, DateTimeOffset start, long periodMs, int count, int seed)
    {
        var random = new Random(seed);
        var t = start.ToUnixTimeMilliseconds();
        var result = new List<FakeOpenInterest>(count);
        for (var i = 0; i < count; i++)
        {
            var sum = 80000m + (random.Next(0, 2_000_000) / 1000m);
            var value = sum * 42000.12345678m;
            result.Add(new FakeOpenInterest(
                t + (i * periodMs),
                symbol,
                sum.ToString("F8", CultureInfo.InvariantCulture),
                value.ToString("F8", CultureInfo.InvariantCulture)));
        }

        return result;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var number = Interlocked.Increment(ref _requestCount);
        var query = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        _requests.Enqueue(new VenueRequest(number, context.Request.Path.Value ?? "", query));
        var venueNow = VenueNow;
        context.Response.Headers["X-MBX-USED-WEIGHT-1M"] = UsedWeight.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers.Date = venueNow.ToString("R", CultureInfo.InvariantCulture);

        _faults.TryRemove(number, out var fault);
        switch (fault?.Kind)
        {
            case "close":
                // a FIN with nothing unread sent back: the client reads the end of the stream before any answer
                context.Features.Get<IConnectionSocketFeature>()!.Socket.Shutdown(SocketShutdown.Both);
                context.Abort();
                return;
            case "301":
                context.Response.Headers.Location = $"http://127.0.0.1:1{context.Request.Path}{context.Request.QueryString}";
                await Answer(context, 301, "");
                return;
            case "429":
                if (fault.RetryAfterSeconds > 0)
                {
                    context.Response.Headers.RetryAfter = fault.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                }

                await Answer(context, 429, "{\"code\":-1003,\"msg\":\"Too many requests; current limit is 2400 requests per minute.\"}");
                return;
            case "418":
                context.Response.Headers.RetryAfter = fault.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                await Answer(context, 418, "{\"code\":-1003,\"msg\":\"Way too many requests; IP banned until 1717200000000.\"}");
                return;
            case "503":
                await Answer(context, 503, "<html><body>Service Unavailable</body></html>", "text/html");
                return;
            case "malformed":
                await Answer(context, 200, "[[1717200000000,\"42000.10\",\"42001.00\"");
                return;
        }

        var (status, body) = context.Request.Path.Value switch
        {
            "/fapi/v1/time" => (200, $"{{\"serverTime\":{venueNow.ToUnixTimeMilliseconds()}}}"),
            "/fapi/v1/klines" => KlinesAnswer(query, venueNow.ToUnixTimeMilliseconds(), fault?.Kind),
            "/fapi/v1/fundingRate" => FundingAnswer(query),
            "/futures/data/openInterestHist" => OpenInterestAnswer(query),
            _ => (404, "{\"code\":-1099,\"msg\":\"Not found.\"}"),
        };

        if (fault?.Kind == "drop")
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
            await context.Response.Body.FlushAsync();
            context.Abort();
            return;
        }

        await Answer(context, status, body);
    }

    private (int, string) KlinesAnswer(Dictionary<string, string> query, long venueNow, string? fault)
    {
        var symbol = query.GetValueOrDefault("symbol") ?? "";
        var interval = query.GetValueOrDefault("interval") ?? "";
        if (!Klines.Keys.Any(k => k.Symbol == symbol))
        {
            return InvalidSymbol;
        }

        if (!Klines.TryGetValue((symbol, interval), out var rows))
        {
            return (400, "{\"code\":-1120,\"msg\":\"Invalid interval.\"}");
        }

        // bars that have opened by the venue's clock, the one still open as it stands
        var opened = rows.Where(r => r.OpenTime <= venueNow).Select(r => r.CloseTime >= venueNow ? r.InProgress(venueNow) : r).ToList();
        Func<FakeKline, long> startKey = ServesBarContainingStartTime ? r => r.CloseTime : r => r.OpenTime;
        if (fault == "early" && query.TryGetValue("startTime", out var start))
        {
            var first = opened.FindIndex(r => startKey(r) >= long.Parse(start, CultureInfo.InvariantCulture));
            query["startTime"] = Text(opened[Math.Max(0, first - 2)].OpenTime);
        }

        var selected = Select(opened, startKey, r => r.OpenTime, query, defaultLimit: 500, maxLimit: 1500).ToList();
        if (fault == "future" && rows.Count > 1)
        {
            var length = rows[1].OpenTime - rows[0].OpenTime;
            var open = venueNow - (venueNow % length) + length;
            var template = rows[^1];
            string[] fields = [.. template.Fields];
            fields[0] = Text(open);
            fields[6] = Text(open + length - 1);
            selected.Add(new FakeKline(open, open + length - 1, fields));
        }

        return (200, "[" + string.Join(',', selected.Select(r => r.Json)) + "]");
    }

    private (int, string) FundingAnswer(Dictionary<string, string> query)
    {
        if (!Funding.TryGetValue(query.GetValueOrDefault("symbol") ?? "", out var rows))
        {
            return InvalidSymbol;
        }

        var selected = Select(rows, r => r.Time, r => r.Time, query, defaultLimit: 100, maxLimit: 1000);
        return (200, "[" + string.Join(',', selected.Select(r => r.Json)) + "]");
    }

    private (int, string) OpenInterestAnswer(Dictionary<string, string> query)
    {
        var symbol = query.GetValueOrDefault("symbol") ?? "";
        var period = query.GetValueOrDefault("period") ?? "";
        if (!OpenInterest.Keys.Any(k => k.Symbol == symbol))
        {
            return InvalidSymbol;
        }

        if (!OpenInterest.TryGetValue((symbol, period), out var rows))
        {
            return (400, "{\"code\":-1120,\"msg\":\"Invalid period.\"}");
        }

        // "Only the data of the latest 30 days is available."
        var oldest = (VenueNow - TimeSpan.FromDays(30)).ToUnixTimeMilliseconds();
        var served = rows.Where(r => r.Time >= oldest).ToList();
        var selected = Select(served, r => r.Time, r => r.Time, query, defaultLimit: 30, maxLimit: 500);
        return (200, "[" + string.Join(',', selected.Select(r => r.Json)) + "]");
    }

    private static readonly (int, string) InvalidSymbol = (400, "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}");

    // rows whose startKey is at or after startTime and whose endKey is at or before endTime, at most limit of them
    private static IEnumerable<T> Select<T>(
        List<T> rows, Func<T, long> startKey, Func<T, long> endKey, Dictionary<string, string> query, int defaultLimit, int maxLimit)
    {
        var start = query.TryGetValue("startTime", out var s) ? long.Parse(s, CultureInfo.InvariantCulture) : long.MinValue;
        var end = query.TryGetValue("endTime", out var e) ? long.Parse(e, CultureInfo.InvariantCulture) : long.MaxValue;
        var limit = query.TryGetValue("limit", out var l) ? Math.Min(int.Parse(l, CultureInfo.InvariantCulture), maxLimit) : defaultLimit;
        return rows.Where(r => startKey(r) >= start && endKey(r) <= end).Take(limit);
    }

    private static async Task Answer(HttpContext context, int status, string body, string contentType = "application/json")
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await context.Response.WriteAsync(body);
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
