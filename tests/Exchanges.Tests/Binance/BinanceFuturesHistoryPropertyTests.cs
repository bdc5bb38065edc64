using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Exchanges.Binance;

namespace StrategyLab.Exchanges.Tests.Binance;

/// <summary>
/// Whatever the page size, whichever requests fail (429, 5xx, malformed body, connection dropped mid-page) and
/// wherever a run is killed (leaving a partial line), running the download again ends with exactly the venue's rows.
/// </summary>
public sealed class BinanceFuturesHistoryPropertyTests
{
    private const int KlineCount = 2500;
    private static readonly DateTimeOffset Now = new(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset KlineStart = Now - TimeSpan.FromMinutes(5 * KlineCount);

    public sealed record Scenario(int PageSize, (int Request, int Kind)[] Faults, int KillAfterPages, int PartialLength)
    {
        public override string ToString() =>
            $"page {PageSize}, faults [{string.Join(", ", Faults.Select(f => $"#{f.Request}:{Names[f.Kind]}"))}], kill after {KillAfterPages} pages, partial {PartialLength}";
    }

    private static readonly string[] Names = ["429", "503", "malformed", "drop"];

    private static readonly Gen<Scenario> Scenarios =
        from pageSize in Gen.Choose(100, 1500)
        from faults in Gen.ListOf(Gen.Zip(Gen.Choose(1, 10), Gen.Choose(0, 3)), 4)
        from kill in Gen.Choose(0, 2)
        from partial in Gen.Choose(1, 60)
        select new Scenario(pageSize, [.. faults.DistinctBy(f => f.Item1)], kill, partial);

    [Fact]
    public void EndsWithExactlyTheVenuesRowsWhateverFailsOnTheWay() =>
        Check.One(
            Config.QuickThrowOnFailure.WithMaxTest(20),
            Prop.ForAll(Scenarios.ToArbitrary(), s => Run(s).GetAwaiter().GetResult()));

    private static async Task<bool> Run(Scenario scenario)
    {
        var directory = Path.Combine(Path.GetTempPath(), "strategylab-binance-prop-" + Guid.NewGuid().ToString("N"));
        var clock = new VirtualTimeProvider(Now);
        await using var venue = await FakeBinanceVenue.StartAsync();
        try
        {
            var klines = FakeBinanceVenue.GenerateKlines(KlineStart, 300_000, KlineCount, seed: scenario.PageSize);
            venue.Klines[("ETHUSDT", "5m")] = klines;
            foreach (var (number, kind) in scenario.Faults)
            {
                venue.Fail(number, kind switch
                {
                    0 => Fault.TooManyRequests(3),
                    1 => Fault.ServerError(),
                    2 => Fault.MalformedBody(),
                    _ => Fault.DropMidBody(),
                });
            }

            var options = new BinanceHistoryOptions
            {
                BaseAddress = venue.BaseAddress,
                TimeProvider = clock,
                KlinesPerRequest = scenario.PageSize,
                MaxMalformedRetries = 5,
            };
            var request = new KlineDownloadRequest(["ETHUSDT"], "5m", KlineStart - TimeSpan.FromDays(1), null, directory);
            var file = Path.Combine(directory, "ETHUSDT-5m.csv");

            if (scenario.KillAfterPages > 0)
            {
                using var cancellation = new CancellationTokenSource();
                var pages = 0;
                var progress = new Progress(p =>
                {
                    if (p.RowsWritten > 0 && ++pages >= scenario.KillAfterPages)
                    {
                        cancellation.Cancel();
                    }
                });
                using var killed = new BinanceFuturesHistory(options);
                try
                {
                    await killed.DownloadKlinesAsync(request, progress, cancellation.Token);
                }
                catch (OperationCanceledException)
                {
                }

                var written = File.ReadAllLines(file).Length - 1;
                var next = written < klines.Count ? klines[written].CsvLine : "9999999999999,1";
                await File.AppendAllTextAsync(file, next[..Math.Min(scenario.PartialLength, next.Length - 1)]);
            }

            using (var history = new BinanceFuturesHistory(options))
            {
                await history.DownloadKlinesAsync(request);
            }

            string[] expected = [BinanceFuturesHistory.KlineCsvHeader, .. klines.Select(k => k.CsvLine)];
            var text = await File.ReadAllTextAsync(file);
            return text == string.Join('\n', expected) + "\n";
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private sealed class Progress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
