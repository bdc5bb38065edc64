using System.Text.Json;
using StrategyLab.Exchanges.Bybit;
using StrategyLab.Exchanges.Bybit.Http;
using StrategyLab.Exchanges.Bybit.WebSocket;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Tests.Bybit.Http;

/// <summary>Bybit's documented response and stream examples (TestData/bybit, with their pages) read into the client's models.</summary>
public sealed class BybitParseTests
{
    private static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "bybit", name));

    private static string Text(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "bybit", name));

    [Fact]
    public void ServerTimeIsReadFromTimeNanoToTheMillisecond() =>
        Assert.Equal(1688639403423L, BybitParse.ServerTime(Fixture("http_get_server_time.json")));

    [Fact]
    public void AnInstrumentCarriesTickStepMinimumsAndLeverage()
    {
        var page = BybitParse.Instruments(Fixture("http_get_instruments_linear.json"));

        var btc = Assert.Single(page.List);
        Assert.Equal(
            ("BTCUSDT", "LinearPerpetual", "Trading", "BTC", "USDT", "USDT"),
            (btc.Symbol, btc.ContractType, btc.Status, btc.BaseCoin, btc.QuoteCoin, btc.SettleCoin));
        Assert.Equal((0.1m, 0.001m, 0.001m, 5m, 100m), (btc.TickSize, btc.QtyStep, btc.MinOrderQty, btc.MinNotionalValue, btc.MaxLeverage));
        Assert.Null(page.Cursor);
    }

    [Fact]
    public void APreListedInstrumentIsReadWithItsStatusAndTheCursorAsSent()
    {
        var page = BybitParse.Instruments(Fixture("http_get_instruments_prelisting.json"));

        Assert.Equal(("BIOUSDT", "PreLaunch", 0.0001m, 1m), (page.List[0].Symbol, page.List[0].Status, page.List[0].TickSize, page.List[0].QtyStep));
        Assert.Equal("first%3DBIOUSDT%26last%3DBIOUSDT", page.Cursor);
    }

    [Fact]
    public void KlinesAreReadNewestFirstAsSent()
    {
        var klines = BybitParse.Klines(Fixture("http_get_kline.json"));

        Assert.Equal([1670608800000L, 1670605200000L, 1670601600000L], klines.Select(k => k.Start));
        Assert.Equal(("17071", "17073", "17027", "17055.5", "268611"), (klines[0].Open, klines[0].High, klines[0].Low, klines[0].Close, klines[0].Volume));
    }

    [Fact]
    public void APlacementAnswersTheOrdersIds() =>
        Assert.Equal(("1321003749386327552", "spot-test-postonly"), BybitParse.OrderIds(Fixture("http_post_order_create.json")));

    [Fact]
    public void AnOpenLimitOrderBecomesANewOrderWithNoFills()
    {
        var page = BybitParse.Orders(Fixture("http_get_order_realtime.json"));

        var order = BybitStates.Order(Assert.Single(page.List));
        Assert.Equal(
            ("test-000005", "fd4300ae-7847-404e-b947-b46980a4d140", "ETHUSDT", OrderSide.Buy, OrderType.Limit),
            (order.ClientOrderId, order.VenueOrderId, order.Symbol, order.Side, order.Type));
        Assert.Equal((0.10m, 0m, (decimal?)1600m, 0m, OrderStatus.New), (order.Quantity, order.FilledQuantity, order.Price, order.AverageFillPrice, order.Status));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1684738540561), order.UpdatedAt);
        Assert.Equal("page_args%3Dfd4300ae-7847-404e-b947-b46980a4d140%26symbol%3D6%26", page.Cursor);
    }

    [Fact]
    public void AShortPositionIsSignedNegative()
    {
        var position = Assert.Single(BybitParse.Positions(Fixture("http_get_position_list.json")).List);

        Assert.Equal(("BTCUSD", -300m, 27464.50441675m), (position.Symbol, position.Signed, position.AvgPrice));
    }

    [Fact]
    public void AWalletWithoutLockedReadsTheFreeBalanceFromTheMargins()
    {
        var coin = Assert.Single(BybitParse.Balances(Fixture("http_get_wallet_balance.json")));

        // 0.805994 in the wallet, no position or order margin
        Assert.Equal(("BTC", 0.805994m, 0.805994m), (coin.Coin, coin.WalletBalance, coin.Available));
    }

    [Fact]
    public void AFillIsReadWithItsFeeSideAndTakerFlag()
    {
        var page = BybitParse.Executions(Fixture("http_get_execution_list.json"));

        var fill = Assert.Single(page.List);
        Assert.Equal(
            ("e0cbe81d-0f18-5866-9415-cf319b5dab3b", OrderSide.Buy, 1190.15m, 0.1m, 0.071409m, false, "Trade"),
            (fill.ExecId, fill.Side, fill.ExecPrice, fill.ExecQty, fill.ExecFee, fill.IsMaker, fill.ExecType));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1672282722429), fill.ExecTime);
        Assert.Equal("132766%3A2%2C132766%3A2", page.Cursor);
    }

    [Fact]
    public void AFundingSettlementChangesTheWalletByTheFundingPaid()
    {
        var entries = BybitParse.Transactions(Fixture("http_get_transaction_log.json")).List;

        // a long of 100 XRPUSDT at 0.3676 pays 100 × 0.3676 × 0.0001 = 0.003676: the wallet changes by -0.003676
        var settlement = Assert.Single(entries, t => t.Type == "SETTLEMENT");
        Assert.Equal(("XRPUSDT", "USDT", -0.003676m), (settlement.Symbol, settlement.Currency, settlement.Change));
        Assert.Equal(-(100m * 0.3676m * 0.0001m), settlement.Change);
        Assert.Equal(2, entries.Count(t => t.Type == "TRADE"));
    }

    [Fact]
    public void AKlineStillOpenIsNotDeliveredAndTheSameKlineClosedIs()
    {
        var open = Text("ws_kline.json");
        var closed = open.Replace("\"confirm\": false", "\"confirm\": true", StringComparison.Ordinal);

        Assert.Null(BybitWsParse.ClosedKline(open, "kline.5.BTCUSDT"));
        var kline = BybitWsParse.ClosedKline(closed, "kline.5.BTCUSDT")!;
        Assert.Equal((1672324800000L, "16649.5", "16677", "16608", "16677", "2.081"), (kline.Start, kline.Open, kline.High, kline.Low, kline.Close, kline.Volume));
        Assert.Null(BybitWsParse.ClosedKline(closed, "kline.5.ETHUSDT"));
    }

    [Fact]
    public void AFilledOrderUpdateIsAFilledMarketOrder()
    {
        using var document = JsonDocument.Parse(Text("ws_order.json"));
        var (topic, time, rows) = BybitWsParse.Private(document);

        var order = BybitStates.Order(BybitParse.Order(Assert.Single(rows)));
        Assert.Equal(("order", 1672364262474L), (topic, time));
        Assert.Equal((OrderType.Market, OrderSide.Sell, 1m, 1m, 75m, OrderStatus.Filled), (order.Type, order.Side, order.Quantity, order.FilledQuantity, order.AverageFillPrice, order.Status));
    }

    [Fact]
    public void AnExecutionUpdateIsReadLikeTheRestFill()
    {
        using var document = JsonDocument.Parse(Text("ws_execution.json"));
        var (_, _, rows) = BybitWsParse.Private(document);

        var fill = BybitParse.Execution(Assert.Single(rows));
        Assert.Equal(("XRPUSDT", OrderSide.Sell, 0.3374m, 25m, 0.005061m, 25m, 0m), (fill.Symbol, fill.Side, fill.ExecPrice, fill.ExecQty, fill.ExecFee, fill.OrderQty, fill.LeavesQty));
    }

    [Fact]
    public void APositionUpdateReadsTheEntryPriceAndAFlatSizeOfZero()
    {
        using var document = JsonDocument.Parse(Text("ws_position.json"));
        var (_, _, rows) = BybitWsParse.Private(document);

        var position = BybitParse.Position(Assert.Single(rows));
        Assert.Equal(("BTCUSDT", 0m, 0m), (position.Symbol, position.Signed, position.AvgPrice));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1697682317038), BybitWsParse.UpdatedOr(rows[0], 0));
    }

    [Fact]
    public void AWalletUpdateListsEveryCoinsWalletBalance()
    {
        using var document = JsonDocument.Parse(Text("ws_wallet.json"));
        var (_, _, rows) = BybitWsParse.Private(document);

        Assert.Equal([("USDC", 0m), ("BTC", 0m), ("USDT", 106.03036732m)], BybitWsParse.WalletCoins(Assert.Single(rows)));
    }

    [Fact]
    public void AMissingFieldIsNamed()
    {
        var body = System.Text.Encoding.UTF8.GetBytes(Text("http_get_execution_list.json").Replace("\"execPrice\"", "\"price_\"", StringComparison.Ordinal));

        var e = Assert.Throws<BybitMalformedBody>(() => BybitParse.Executions(body));

        Assert.Equal("a record has no 'execPrice'", e.Message);
    }
}
