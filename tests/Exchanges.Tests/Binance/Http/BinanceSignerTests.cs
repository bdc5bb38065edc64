using StrategyLab.Exchanges.Binance.Http;

namespace StrategyLab.Exchanges.Tests.Binance.Http;

public sealed class BinanceSignerTests
{
    // the "SIGNED endpoint examples" of Binance's API documentation, as recorded in shared/VENUES.md
    private const string Secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    private const string Query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";

    [Fact]
    public void SignsThePublishedExampleToThePublishedSignature() =>
        Assert.Equal("c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71", BinanceSigner.Sign(Secret, Query));

    [Fact]
    public void AnyChangeToTheQueryChangesTheSignature() =>
        Assert.NotEqual(BinanceSigner.Sign(Secret, Query), BinanceSigner.Sign(Secret, Query.Replace("quantity=1", "quantity=2", StringComparison.Ordinal)));
}
