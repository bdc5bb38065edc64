using System.Globalization;
using System.Net;
using Microsoft.Data.Sqlite;
using StrategyLab.Exchanges.Binance;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Tests.Binance;
using StrategyLab.Exchanges.Tests.Fakes;
using StrategyLab.Operations;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Trading;
using Xunit.Abstractions;

namespace StrategyLab.Exchanges.Tests.Operations;

/// <summary>
/// An accelerated soak against the fake Binance venue: minute bars stepped as fast as the runner goes, with faults
/// injected on a seeded schedule (server errors, dropped connections before and after the venue acted, timeouts,
/// rate limiting, refusals) and the runner killed at random writes and restarted on its journal; positions carry a stop-loss
/// and a trailing stop, so stops rest at the venue and exits are taken at closes throughout. It must end with the
/// journal, the venue and the metrics in agreement. The suite runs an hour of bars; STRATEGYLAB_SOAK_BARS=1440 runs
/// a day (docs/reliability.md).
/// </summary>
public sealed class SoakTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Key = "soak-tests-api-key-ASDFGH";
    private const string Secret = "soak-tests-secret-HGFDSA";
    private const int Seed = 20_260_301;
    private static readonly string[] Symbols = ["BTCUSDT", "ETHUSDT"];
    private static readonly Interval Minute = new(60_000);

    private readonly int _bars = int.TryParse(Environment.GetEnvironmentVariable("STRATEGYLAB_SOAK_BARS"), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 60;
    // on a memory file system where there is one: the soak checks agreement, not the disk, and fsync there costs nothing
    private readonly string _journal = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"soak-{Guid.NewGuid():N}.db");
    private readonly HttpClient _http = new();
    private readonly Random _walk = new(Seed + 2);
    private long _start;
    private FakeBinanceFuturesVenue _venue = null!;
    private BinanceFuturesExchange _exchange = null!;
    private TradingMetrics _metrics = null!;

    public async Task InitializeAsync()
    {
        // every bar of the run closed before the run starts, so the venue's clock is past them all
        _start = ((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 60_000) - _bars - 30) * 60_000;
        _venue = await FakeBinanceFuturesVenue.StartAsync(Key, Secret);
        _venue.AddSymbol(new FakeSymbol("BTCUSDT", 0.1m, 0.001m, 0.001m, 1000m, 5m));
        _venue.AddSymbol(new FakeSymbol("ETHUSDT", 0.01m, 0.001m, 0.001m, 1000m, 5m));
        _metrics = new TradingMetrics(Minute.Milliseconds);
        _exchange = new BinanceFuturesExchange(
            new BinanceFuturesOptions
            {
                Environment = new BinanceEnvironment("fake", _venue.Host.RestBase, _venue.Host.StreamBase, IsTestnet: true),
                RetryBaseDelay = TimeSpan.FromMilliseconds(1),
                RetryMaxDelay = TimeSpan.FromMilliseconds(5),
                RequestTimeout = TimeSpan.FromMilliseconds(250),
                Observer = _metrics,
            },
            BinanceCredentials.Of(Key, Secret));
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
    public async Task MinuteBarsWithFaultsAndKillsEndWithJournalVenueAndMetricsInAgreement()
    {
        var random = new Random(Seed);
        var prices = new[] { 100.0, 50.0 };
        for (var i = 0; i < 5; i++)
            Bar(i, prices);
        await using var endpoint = await OperationsEndpoint.StartAsync(_metrics, IPAddress.Loopback, 0);
        using var journal = new SqliteJournal(_journal);
        var crash = new CrashSchedule();
        var targets = new SeededTargets(new Random(Seed + 1));
        var venue = new ObservedExchange(_exchange, _metrics);
        var deployment = journal.Open(new Deployment("soak", "seeded", _exchange.Venue), fresh: false);
        var setup = new TradingSetup(deployment, Symbols, Minute, new LedgerOptions { Exits = new Runtime.Execution.ExitRules { StopLoss = 0.006, TrailingStop = 0.008 } }) { Observer = _metrics, Checkpoint = crash.At };
        _metrics.Watch(_exchange);
        TradingRunner? runner = await TradingRunner.StartAsync(setup, venue, journal, targets);
        var history = await LiveBars.HistoryAsync(_exchange, Symbols, [.. Symbols], Minute, 40);
        var faults = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int kills = 0, failedSteps = 0;
        // wall and processor time per block of bars, to show whether a step grows with the journal's history
        var pace = new BlockPace(Math.Max(60, _bars / 6));

        for (var i = 5; i < 5 + _bars; i++)
        {
            pace.Bar();
            Bar(i, prices);
            history.Append(Time(i), Columns(prices));
            if (random.NextDouble() < 0.3)
            {
                var (name, path, fault) = Faults[random.Next(Faults.Length)];
                _venue.Host.Fail(path, fault);
                faults[name] = faults.GetValueOrDefault(name) + 1;
            }
            crash.Next(random.NextDouble() < 0.05 ? random.Next(1, 8) : 0);
            // a kill or a failed step is a restart, as a supervisor makes one: a new runner reconciles on the journal and
            // steps the bar again; a start that fails (a kill or a venue failure while it reconciles) is restarted too
            while (true)
            {
                try
                {
                    runner ??= await TradingRunner.StartAsync(setup, venue, journal, targets);
                    await runner.StepAsync(history);
                    break;
                }
                catch (SimulatedKill)
                {
                    kills++;
                }
                catch (Runtime.Execution.ExchangeError)
                {
                    failedSteps++;
                }
                runner = null;
            }
        }
        await runner!.SyncAsync();
        pace.Bar();

        // the journal's book is the venue's, and no client order id reached the venue twice
        var fills = journal.Fills(runner.Deployment);
        foreach (var symbol in Symbols)
            Assert.Equal(_venue.Position(symbol).Amount, fills.Where(f => f.Symbol == symbol).Sum(f => f.Quantity));
        var venueOrders = _venue.Orders();
        Assert.Equal(venueOrders.Count, venueOrders.Select(o => o.ClientOrderId).Distinct(StringComparer.Ordinal).Count());
        var orders = journal.Orders(runner.Deployment);
        Assert.All(venueOrders, o => Assert.Contains(orders, j => j.Request.ClientOrderId == o.ClientOrderId));
        // the metrics, as served, count what the journal holds
        var scraped = Parse(await _http.GetStringAsync($"http://127.0.0.1:{endpoint.Port}/metrics"));
        Assert.Equal(fills.Count, scraped.Sum(TradingMetrics.Names.Fills));
        Assert.Equal(orders.Count(o => o.Status == JournalOrderStatus.Rejected), scraped.Sum(TradingMetrics.Names.Rejects));
        Assert.Equal(orders.Count(o => o.Status is not (JournalOrderStatus.Pending or JournalOrderStatus.Unsent)), scraped.Sum(TradingMetrics.Names.OrdersSent));
        Assert.Equal(journal.LastStep(runner.Deployment)!.BarTime / 1000.0, scraped.Sum(TradingMetrics.Names.LastBar));
        Assert.True(kills > 0 && faults.Count > 0, "the schedule injected neither kills nor faults");

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{_bars} bars (seed {Seed}): {venueOrders.Count} orders at the venue, {orders.Count} journaled, {fills.Count} fills, "
            + $"{orders.Count(o => o.Status == JournalOrderStatus.Rejected)} rejected; {faults.Values.Sum()} faults ({string.Join(", ", faults.Select(f => $"{f.Key} {f.Value}"))}), "
            + $"{kills} kills, {failedSteps} failed steps or starts, all restarted; journal, venue and metrics agree"));
        output.WriteLine("per block of bars: " + pace);
    }

    // wall and processor milliseconds per bar, block by block
    private sealed class BlockPace(int block)
    {
        private readonly List<string> _blocks = [];
        private readonly System.Diagnostics.Stopwatch _wall = System.Diagnostics.Stopwatch.StartNew();
        private TimeSpan _cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        private int _bars = -1;

        public void Bar()
        {
            if (++_bars == 0 || _bars % block != 0)
                return;
            var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
            _blocks.Add(string.Create(CultureInfo.InvariantCulture,
                $"bars {_bars - block + 1}–{_bars}: {_wall.Elapsed.TotalMilliseconds / block:F0} ms wall, {(cpu - _cpu).TotalMilliseconds / block:F0} ms processor"));
            _wall.Restart();
            _cpu = cpu;
        }

        public override string ToString() => string.Join("; ", _blocks);
    }

    // what can go wrong with a request, and where
    private static readonly (string Name, string Path, InjectedFault Fault)[] Faults =
    [
        ("order server error", "/fapi/v1/order", InjectedFault.ServerError()),
        ("order answer lost", "/fapi/v1/order", InjectedFault.DropConnection(afterProcessing: true)),
        ("order connection dropped", "/fapi/v1/order", InjectedFault.DropConnection()),
        ("order timeout", "/fapi/v1/order", InjectedFault.Timeout()),
        ("order answered late", "/fapi/v1/order", InjectedFault.Timeout(afterProcessing: true)),
        ("order refused for margin", "/fapi/v1/order", InjectedFault.Error(400, -2019, "Margin is insufficient.")),
        ("fills read rate-limited", "/fapi/v1/userTrades", InjectedFault.TooManyRequests(retryAfterSeconds: 0)),
        ("fills read server error", "/fapi/v1/userTrades", InjectedFault.ServerError()),
        ("funding read dropped", "/fapi/v1/income", InjectedFault.DropConnection()),
        ("open orders read timeout", "/fapi/v1/openOrders", InjectedFault.Timeout()),
        ("positions read server error", "/fapi/v3/positionRisk", InjectedFault.ServerError()),
    ];

    // a bar's kline at the venue and its book around the close; prices walk at random
    private void Bar(int i, double[] prices)
    {
        for (var a = 0; a < Symbols.Length; a++)
        {
            var close = (decimal)Math.Round(prices[a], 1);
            _venue.AddKline(Symbols[a], "1m", BinanceFuturesConformanceTests.Kline(Time(i), close, close + 1, close - 1, close, 10m));
            _venue.SetBook(Symbols[a], [(close - 0.1m, 1000m)], [(close + 0.1m, 1000m)]);
        }
    }

    private double[][] Columns(double[] prices)
    {
        var close = prices.Select(p => Math.Round(p, 1)).ToArray();
        var row = new[] { close, [.. close.Select(c => c + 1)], [.. close.Select(c => c - 1)], close, [10.0, 10.0] };
        for (var a = 0; a < prices.Length; a++)
            prices[a] *= 1 + ((_walk.NextDouble() - 0.5) * 0.004);
        return row;
    }

    private long Time(int i) => _start + (i * 60_000L);

    // the samples of one metric summed over its labels, from the Prometheus text
    private static Dictionary<string, double> Parse(string text)
    {
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n').Where(l => l.Length > 0 && l[0] != '#'))
        {
            var name = line[..line.IndexOfAny(['{', ' '])];
            sums[name] = sums.GetValueOrDefault(name) + double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        }
        return sums;
    }

    /// <summary>A runner killed at a write of state, as SIGKILL would.</summary>
    private sealed class SimulatedKill : Exception;

    // kills the runner at the nth write of the current bar (0: not at all)
    private sealed class CrashSchedule
    {
        private int _at;
        private int _writes;

        public void Next(int at)
        {
            _at = at;
            _writes = 0;
        }

        public void At(TradingCheckpoint checkpoint, string id)
        {
            if (++_writes == _at)
            {
                _at = 0;
                throw new SimulatedKill();
            }
        }
    }

    // long, short or flat in each asset, drawn anew at each bar from a seeded generator
    private sealed class SeededTargets(Random random) : ITargetSource
    {
        private static readonly double[][] Choices = [[0.2, -0.1], [-0.1, 0.2], [0, 0], [0.1, 0.1]];

        public TargetDecision Decide(BarHistory history) => new(Choices[random.Next(Choices.Length)], Rebalance: true);
    }
}

internal static class ScrapedSums
{
    public static double Sum(this Dictionary<string, double> sums, string name) => sums.GetValueOrDefault(name);
}
