using StrategyLab.Exchanges.Bybit.Common;

namespace StrategyLab.Exchanges.Tests.Bybit.Common;

/// <summary>
/// Bybit's v5 signing rule (../shared/VENUES.md, from the documentation's "Integration Guidance"): HMAC-SHA256, lowercase
/// hex, of <c>timestamp + apiKey + recvWindow + payload</c>; the private stream signs <c>"GET/realtime" + expires</c>.
/// Expected values were computed outside .NET, e.g.
/// <c>printf '%s' '1658384314791XXXXXXXXXX5000category=linear&amp;symbol=BTCUSDT&amp;orderLinkId=run1-0001' | openssl dgst -sha256 -hmac 'YYYY…'</c>.
/// </summary>
public sealed class BybitSignerTests
{
    private const string ApiKey = "XXXXXXXXXX";
    private const string Secret = "YYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY";

    [Fact]
    public void AGetSignsTheQueryStringAfterTimestampKeyAndWindow() =>
        Assert.Equal(
            "e1812b10b474bcc8a63968f5f74fb0c1cfc4d429eeefeb77ae8d4714900d2e06",
            BybitSigner.Rest(Secret, 1658384314791, ApiKey, 5000, "category=linear&symbol=BTCUSDT&orderLinkId=run1-0001"));

    [Fact]
    public void APostSignsTheJsonBodyExactlyAsSent() =>
        Assert.Equal(
            "59f5b0043ab18b3e200cdd3adcb6f67732eb99c0da546f8ce145574c8f939de2",
            BybitSigner.Rest(
                Secret,
                1658384314791,
                ApiKey,
                5000,
                """{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.001","price":"60000","timeInForce":"PostOnly","positionIdx":0,"orderLinkId":"run1-0001"}"""));

    [Fact]
    public void ThePrivateStreamSignsGetRealtimeAndTheExpiry() =>
        Assert.Equal("9f96338b434359fa6300c2d0040ffe25962cbc700dac649bfc7c59ef64431f89", BybitSigner.WebSocket(Secret, 1662350400000));
}
