using StrategyLab.Exchanges.History;
using StrategyLab.Exchanges.Mexc.Http;

namespace StrategyLab.Exchanges.Mexc;

/// <summary>
/// Downloads MEXC contract (USDT-M perpetuals) public history into resumable CSV files (<see cref="HistoryFiles"/>):
/// klines (<c>GET /api/v1/contract/kline/{symbol}</c>) and funding rates (<c>GET /api/v1/contract/funding_rate/history</c>).
/// MEXC takes a kline range as start and end in Unix seconds and answers at most 2000 klines of it
/// (https://mexcdevelop.github.io/apidocs/contract_v1_en, "K-line data"), so each request covers a window of at most
/// one page; funding rates come in pages of 100 by number, newest first, read until the page that reaches the start.
/// Requests are paced by the client's budget (20 per 2 seconds, the pages' limit for these endpoints) and retried by its
/// rules (<see cref="MexcFuturesOptions"/>).
/// <para>
/// Symbols: datasets name a contract <c>BTCUSDT</c>, MEXC <c>BTC_USDT</c>. Either form is taken and looked up in MEXC's
/// contract list (<c>GET /api/v1/contract/detail</c>); files and the dataset's assets take the dataset's form, so a
/// MEXC dataset names its assets as a Binance or Bybit one does. MEXC counts kline volume in contracts: the files hold
/// it in the base asset, <c>vol × contractSize</c> as the contract list states it, computed exactly. MEXC sends no trade
/// counts, taker volumes or mark prices with its history: those columns are left out of the files.
/// </para>
/// </summary>
/// <example><code>
/// using var history = new MexcHistory();
/// await history.DownloadKlinesAsync(new KlineDownloadRequest(["BTCUSDT"], "1h", DateTimeOffset.Parse("2024-01-01Z"), null, "data/mexc-contract"));
/// </code></example>
public sealed class MexcHistory : IVenueHistory
{
    private const string Venue = "MEXC";
    private const int FundingPerPage = 100;

    private static readonly IReadOnlyList<VenueInterval> Intervals =
    [
        new("1m", "Min1", 60_000), new("5m", "Min5", 300_000), new("15m", "Min15", 900_000), new("30m", "Min30", 1_800_000),
        new("1h", "Min60", 3_600_000), new("4h", "Hour4", 14_400_000), new("8h", "Hour8", 28_800_000), new("1d", "Day1", 86_400_000),
        new("1w", "Week1", 604_800_000),
    ];

    private readonly MexcFuturesOptions _options;
    private readonly MexcHttpClient _http;
    private readonly HistoryDownload _download;
    private readonly int _klinesPerRequest;

    /// <summary>A downloader; <paramref name="options"/> default to the real venue, <paramref name="klinesPerRequest"/> to MEXC's most, 2000.</summary>
    /// <exception cref="ExchangeException">The options are invalid, or the page size is not 1 to 2000.</exception>
    public MexcHistory(MexcFuturesOptions? options = null, int klinesPerRequest = 2000)
    {
        _options = options ?? new MexcFuturesOptions();
        _options.Validate();
        if (klinesPerRequest is < 1 or > 2000)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidRequest, $"klines per request must be 1 to 2000 (MEXC's most), found {klinesPerRequest}");
        }

        _klinesPerRequest = klinesPerRequest;
        _http = new MexcHttpClient(_options, credentials: null);
        _download = new HistoryDownload(Venue, _http.Clock, ct => Call(() => _http.EnsureClock(ct), "read MEXC's clock"), _options.TimeProvider, _options.Logger);
    }

    /// <inheritdoc/>
    public string Folder => "mexc-contract";

    /// <inheritdoc/>
    public string Description => "MEXC contract (USDT-M perpetuals) history downloaded by strategylab";

    /// <inheritdoc/>
    public IReadOnlyList<string> KlineIntervals { get; } = [.. Intervals.Select(i => i.Text)];

    /// <inheritdoc/>
    public Task<DownloadSummary> DownloadKlinesAsync(KlineDownloadRequest request, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var interval = VenueKlines.Find(Intervals, request.Interval, "MEXC contract", request.Symbols);
        var dataset = $"klines {interval.Text}";
        var contractSizes = new Dictionary<string, decimal>(StringComparer.Ordinal);
        return _download.RunAsync(
            new HistoryJob(dataset, HistoryFiles.KlineHeader, s => HistoryFiles.KlineFileName(s, interval.Text), request.Symbols, request.From, request.To, request.OutputDirectory),
            async (symbol, cursor, end, ct) =>
            {
                var windowEnd = VenueKlines.WindowEnd(cursor, end, _klinesPerRequest, interval.Milliseconds);
                var sentAt = _options.TimeProvider.GetUtcNow();
                var klines = await Call(
                    () => _http.GetHistoryKlines(symbol.VenueSymbol, interval.VenueName, cursor / 1000, (windowEnd - 1) / 1000, ct),
                    $"download {symbol.Name} {dataset}").ConfigureAwait(false);
                var served = await _download.ServedAsync(sentAt, _options.TimeProvider.GetUtcNow(), ct).ConfigureAwait(false);
                var size = contractSizes[symbol.Name];
                return VenueKlines.Page(
                    _download,
                    Venue,
                    symbol.Name,
                    klines.Select(k => new VenueKline(k.Time * 1000, k.Open, k.High, k.Low, k.Close, k.Vol * size, k.Amount)),
                    interval.Milliseconds,
                    served,
                    windowEnd);
            },
            (names, ct) => ResolveAsync(names, contractSizes, ct),
            adjustStart: null,
            progress,
            cancellationToken);
    }

    /// <inheritdoc/>
    public Task<DownloadSummary> DownloadFundingAsync(FundingDownloadRequest request, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _download.RunAsync(
            new HistoryJob("funding", HistoryFiles.FundingHeader, HistoryFiles.FundingFileName, request.Symbols, request.From, request.To, request.OutputDirectory),
            FundingAsync,
            (names, ct) => ResolveAsync(names, new Dictionary<string, decimal>(StringComparer.Ordinal), ct),
            adjustStart: null,
            progress,
            cancellationToken);
    }

    /// <summary>Closes the HTTP connections.</summary>
    public void Dispose()
    {
        _http.Dispose();
        _download.Dispose();
    }

    // pages from the newest until one reaches the start; the records in [cursor, end) are the answer, in one window
    private async Task<HistoryPage> FundingAsync(HistorySymbol symbol, long cursor, long end, CancellationToken ct)
    {
        var sentAt = _options.TimeProvider.GetUtcNow();
        var records = new Dictionary<long, MexcFundingRate>();
        for (var page = 1; ; page++)
        {
            var answer = await Call(() => _http.GetFundingRateHistory(symbol.VenueSymbol, page, FundingPerPage, ct), $"download {symbol.Name} funding")
                .ConfigureAwait(false);
            foreach (var record in answer.Items)
            {
                if (record.Symbol != symbol.VenueSymbol)
                {
                    throw new ExchangeException(
                        ExchangeErrorKind.MalformedResponse,
                        $"MEXC answered GET /api/v1/contract/funding_rate/history for {symbol.VenueSymbol} with a record for {record.Symbol}");
                }

                // a rate settled while the pages were read moves every later record down a page: it comes twice, once is kept
                records.TryAdd(record.SettleTime, record);
            }

            if (answer.Items.Count == 0 || page >= answer.TotalPage || answer.Items.Min(r => r.SettleTime) < cursor)
            {
                break;
            }
        }

        var served = await _download.ServedAsync(sentAt, _options.TimeProvider.GetUtcNow(), ct).ConfigureAwait(false);
        var inRange = records.Values.Where(r => r.SettleTime >= cursor && r.SettleTime < end).Select(r => new VenueFunding(r.SettleTime, r.FundingRate));
        return VenueKlines.FundingPage(Venue, symbol.Name, inRange, served.Earliest, end);
    }

    // each name as datasets write it (BTCUSDT) or as MEXC does (BTC_USDT), found in MEXC's contract list
    private async Task<IReadOnlyList<HistorySymbol>> ResolveAsync(IReadOnlyList<string> names, Dictionary<string, decimal> contractSizes, CancellationToken ct)
    {
        var contracts = await Call(() => _http.GetContractDetail(null, ct), "read MEXC's contract list").ConfigureAwait(false);
        var symbols = new List<HistorySymbol>();
        foreach (var name in names)
        {
            var datasetName = name.Replace("_", "", StringComparison.Ordinal);
            var contract = contracts.FirstOrDefault(c => c.Symbol == name)
                ?? contracts.FirstOrDefault(c => c.Symbol.Replace("_", "", StringComparison.Ordinal) == datasetName)
                ?? throw new ExchangeException(
                    ExchangeErrorKind.Rejected,
                    $"MEXC contract lists no {name}: its contract list (GET /api/v1/contract/detail) has no contract of that name, with or without the underscore MEXC writes (BTC_USDT)");
            if (symbols.All(s => s.Name != datasetName))
            {
                symbols.Add(new HistorySymbol(datasetName, contract.Symbol));
                contractSizes[datasetName] = contract.ContractSize;
            }
        }

        return symbols;
    }

    private static async Task Call(Func<Task> send, string doing) => await Call(async () =>
    {
        await send().ConfigureAwait(false);
        return true;
    }, doing).ConfigureAwait(false);

    // the client's failures, retried as its rules say, in the history's terms and naming what was being done
    private static async Task<T> Call<T>(Func<Task<T>> send, string doing)
    {
        try
        {
            return await send().ConfigureAwait(false);
        }
        catch (MexcApiException e)
        {
            throw VenueFailures.Of(doing, e, e.NeverSent, e.Kind, e.HttpStatus, e.Code);
        }
    }
}
