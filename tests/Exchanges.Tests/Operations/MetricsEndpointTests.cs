using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using StrategyLab.Exchanges.Binance;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Tests.Binance;
using StrategyLab.Operations;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Trading;
using StrategyLab.Tests.Servers;

namespace StrategyLab.Exchanges.Tests.Operations;

/// <summary>
/// The runner's metrics, health and status on a local port, against the fake Binance venue: a real Prometheus server
/// scrapes them and the series read back through its HTTP API are the runner's own figures.
/// </summary>
public sealed class MetricsEndpointTests : IAsyncLifetime
{
    private const string Key = "metrics-tests-api-key-QWERTY";
    private const string Secret = "metrics-tests-secret-YTREWQ";
    private static readonly string[] Symbols = ["BTCUSDT", "ETHUSDT"];
    private static readonly Interval Minute = new(60_000);

    // a guard against a hang, not a limit on how fast anything must be
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private readonly long _start = ((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 60_000) - 30) * 60_000;
    private readonly string _journal = Path.Combine(Path.GetTempPath(), $"metrics-{Guid.NewGuid():N}.db");
    private readonly HttpClient _http = new();
    private FakeBinanceFuturesVenue _venue = null!;
    private BinanceFuturesExchange _exchange = null!;
    private TradingMetrics _metrics = null!;

    public async Task InitializeAsync()
    {
        _venue = await FakeBinanceFuturesVenue.StartAsync(Key, Secret);
        _venue.AddSymbol(new FakeSymbol("BTCUSDT", 0.1m, 0.001m, 0.001m, 1000m, 5m));
        _venue.AddSymbol(new FakeSymbol("ETHUSDT", 0.01m, 0.001m, 0.001m, 1000m, 5m));
        _venue.SetBook("BTCUSDT", [(99.9m, 1000m)], [(100.1m, 1000m)]);
        _venue.SetBook("ETHUSDT", [(49.9m, 1000m)], [(50.1m, 1000m)]);
        _metrics = new TradingMetrics(Minute.Milliseconds);
        _exchange = new BinanceFuturesExchange(
            new BinanceFuturesOptions
            {
                Environment = new BinanceEnvironment("fake", _venue.Host.RestBase, _venue.Host.StreamBase, IsTestnet: true),
                RetryBaseDelay = TimeSpan.FromMilliseconds(1),
                RetryMaxDelay = TimeSpan.FromMilliseconds(5),
                Observer = _metrics,
            },
            BinanceCredentials.Of(Key, Secret));
        for (var i = 0; i < 5; i++)
        {
            _venue.AddKline("BTCUSDT", "1m", BinanceFuturesConformanceTests.Kline(Time(i), 100 + i, 101 + i, 99 + i, 100.5m + i, 10m));
            _venue.AddKline("ETHUSDT", "1m", BinanceFuturesConformanceTests.Kline(Time(i), 50 + i, 51 + i, 49 + i, 50.5m + i, 10m));
        }
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _exchange.Dispose();
        await _venue.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(_journal + suffix);
    }

    [Fact]
    public async Task PrometheusScrapesTheRunnerAndReadsItsEquityFillsAndOrdersBack()
    {
        await using var endpoint = await OperationsEndpoint.StartAsync(_metrics, IPAddress.Loopback, 0);
        using var journal = new SqliteJournal(_journal);
        var runner = await Start(journal);
        var history = await LiveBars.HistoryAsync(_exchange, Symbols, [.. Symbols], Minute, 40);
        await runner.StepAsync(history);
        // the second step books the first step's fills: its positions are the venue's before its own orders
        var held = _venue.Position("BTCUSDT").Amount;
        history.Append(Time(5), [[105, 55], [106, 56], [104, 54], [105.5, 55.5], [10, 10]]);
        var step = await runner.StepAsync(history);
        await runner.SyncAsync();
        var fills = journal.Fills(runner.Deployment);
        Assert.NotEmpty(fills);

        using var prometheus = new PrometheusServer("strategylab", $"127.0.0.1:{endpoint.Port}");
        var equity = await Eventually(prometheus, "strategylab_equity");
        var filled = await Eventually(prometheus, "sum(strategylab_fills_total)");
        var orders = await Eventually(prometheus, "sum(strategylab_orders)");
        var btc = await Eventually(prometheus, "strategylab_position{symbol=\"BTCUSDT\"}");
        var placed = await Eventually(prometheus, "strategylab_venue_request_seconds_count{operation=\"place\"}");
        var headroom = await Eventually(prometheus, "strategylab_rate_limit_headroom_ratio{limit=\"request_weight_1m\"}");
        var up = await Eventually(prometheus, "up{job=\"strategylab\"}");

        Assert.Equal(step!.Equity, equity, 6);
        Assert.Equal(fills.Count, filled);
        Assert.Equal(journal.Orders(runner.Deployment).Count, orders);
        Assert.Equal((double)held, btc, 9);
        Assert.Equal(_venue.Host.RequestsTo("POST", "/fapi/v1/order").Count, placed);
        Assert.InRange(headroom, 0, 1);
        Assert.Equal(1, up);
    }

    [Fact]
    public async Task HealthAndStatusSayWhatTheRunnerHoldsAndWhenItIsHalted()
    {
        await using var endpoint = await OperationsEndpoint.StartAsync(_metrics, IPAddress.Loopback, 0);
        var health = await _http.GetAsync(Url(endpoint, "/health"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Contains("reconciling", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var journal = new SqliteJournal(_journal);
        var runner = await Start(journal);
        var history = await LiveBars.HistoryAsync(_exchange, Symbols, [.. Symbols], Minute, 40);
        await runner.StepAsync(history);
        var held = Symbols.ToDictionary(s => s, s => (double)_venue.Position(s).Amount);
        history.Append(Time(5), [[105, 55], [106, 56], [104, 54], [105.5, 55.5], [10, 10]]);
        await runner.StepAsync(history);

        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(Url(endpoint, "/health"))).StatusCode);
        using (var status = JsonDocument.Parse(await _http.GetStringAsync(Url(endpoint, "/status"))))
        {
            var root = status.RootElement;
            Assert.Equal("trading", root.GetProperty("riskState").GetString());
            Assert.Equal(runner.Engine.Ledger.Mark(out _, out _), root.GetProperty("equity").GetDouble(), 6);
            var positions = root.GetProperty("positions").EnumerateArray().ToDictionary(p => p.GetProperty("symbol").GetString()!, p => p.GetProperty("quantity").GetDouble());
            Assert.Equal(held["BTCUSDT"], positions["BTCUSDT"], 9);
            Assert.Equal(held["ETHUSDT"], positions["ETHUSDT"], 9);
            Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(Time(5)).UtcDateTime, root.GetProperty("lastBar").GetDateTime().ToUniversalTime());
        }

        // the daily loss limit fires at the next bar: flattened and halted until the next UTC day
        _metrics.RiskFired(new RiskEvent(7, "daily_loss", "equity 9,000.00 is more than 3.0% below the day's start"), Time(6));
        var halted = await _http.GetAsync(Url(endpoint, "/health"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, halted.StatusCode);
        Assert.StartsWith("halted until ", await halted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("strategylab_risk_state 1", await _http.GetStringAsync(Url(endpoint, "/metrics")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMetricsPortInUseIsAOneLineErrorBeforeAnythingTrades()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var error = await Assert.ThrowsAsync<OperationsException>(() => OperationsEndpoint.StartAsync(_metrics, IPAddress.Loopback, port));

        Assert.StartsWith($"metrics port {port} on 127.0.0.1 is in use", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Empty(_venue.Host.RequestsTo("POST", "/fapi/v1/order"));
    }

    [Fact]
    public void AStaleRunnerIsUnhealthyWithTheBarItLastStepped()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(Time(6)));
        var metrics = new TradingMetrics(Minute.Milliseconds, clock);
        metrics.Started(new Deployment("s", "h", "fake"), 10_000);
        metrics.Stepped(new StepSnapshot(Time(5), Minute.Milliseconds, 10_000, 0, 0, [], new Dictionary<JournalOrderStatus, int>(), Stopped: false));
        Assert.True(metrics.Health().Healthy);

        // one bar and two minutes of grace pass with no step
        clock.Now += TimeSpan.FromMinutes(3.5);

        var health = metrics.Health();
        Assert.False(health.Healthy);
        Assert.StartsWith("no bar stepped since the bar of ", health.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AHaltTakenUpFromTheJournalIsReportedUntilTheDayEnds()
    {
        // a runner restarted during a day the daily-loss rule halted: its first step says so, though no rule fired in it
        var day = Time(5) / 86_400_000L;
        var midnight = (day + 1) * 86_400_000L;
        var metrics = new TradingMetrics(Minute.Milliseconds, new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(Time(6))));
        metrics.Started(new Deployment("s", "h", "fake"), 10_000);
        metrics.Stepped(new StepSnapshot(Time(5), Minute.Milliseconds, 10_000, 0, 0, [], new Dictionary<JournalOrderStatus, int>(), Stopped: false,
            HaltedUntil: midnight));

        var health = metrics.Health();
        Assert.False(health.Healthy);
        Assert.StartsWith("halted until ", health.Reason, StringComparison.Ordinal);
        Assert.Equal("halted", metrics.Status().RiskState);

        // the first bar of the next UTC day trades again
        metrics.Stepped(new StepSnapshot(midnight, Minute.Milliseconds, 10_000, 0, 0, [], new Dictionary<JournalOrderStatus, int>(), Stopped: false));
        Assert.Equal("trading", metrics.Status().RiskState);
    }

    [Fact]
    public void ARunnerStartedHoldingPositionsCountsItsPnlFromItsFirstBar()
    {
        var metrics = new TradingMetrics(Minute.Milliseconds);
        // positions held at start have no price before the first bar: the equity is not known yet
        metrics.Started(new Deployment("s", "h", "fake"), double.NaN);
        metrics.Stepped(new StepSnapshot(Time(5), Minute.Milliseconds, 10_250, 0, 0, [], new Dictionary<JournalOrderStatus, int>(), Stopped: false));
        metrics.Stepped(new StepSnapshot(Time(6), Minute.Milliseconds, 10_300, 0, 0, [], new Dictionary<JournalOrderStatus, int>(), Stopped: false));

        var status = metrics.Status();

        Assert.Equal(10_300, status.Equity);
        Assert.Equal(50, status.Pnl);
    }

    private async Task<TradingRunner> Start(SqliteJournal journal)
    {
        var deployment = journal.Open(new Deployment("metrics", "live", _exchange.Venue), fresh: false);
        _metrics.Watch(_exchange);
        var venue = new ObservedExchange(_exchange, _metrics);
        return await TradingRunner.StartAsync(new TradingSetup(deployment, Symbols, Minute, new LedgerOptions()) { Observer = _metrics },
            venue, journal, new LongShort());
    }

    // the value of a one-series query once Prometheus has scraped it
    private static async Task<double> Eventually(PrometheusServer prometheus, string query)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            if (await prometheus.QueryAsync(query) is [var sample])
                return sample.Value;
            Assert.True(waited.Elapsed < Patience, $"prometheus never held {query}: {string.Join(" | ", prometheus.Log.Take(20))}");
            await Task.Delay(100);
        }
    }

    private static string Url(OperationsEndpoint endpoint, string path) => $"http://127.0.0.1:{endpoint.Port}{path}";

    private long Time(int i) => _start + (i * 60_000L);

    // 20% long the first asset, 10% short the second, every bar
    private sealed class LongShort : ITargetSource
    {
        public TargetDecision Decide(BarHistory history) => new([0.2, -0.1], Rebalance: true);
    }
}

/// <summary>A clock moved by hand.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}
