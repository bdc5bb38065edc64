using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace StrategyLab.Exchanges.Bybit.Common;

/// <summary>
/// Bybit v5 HMAC-SHA256 signatures, lowercase hex (https://bybit-exchange.github.io/docs/v5/guide, "Authentication"):
/// a REST request signs <c>timestamp + apiKey + recvWindow + payload</c>, the payload being the query string of a GET
/// or the JSON body of a POST exactly as sent; the private websocket signs <c>"GET/realtime" + expires</c>
/// (https://bybit-exchange.github.io/docs/v5/ws/connect).
/// </summary>
internal static class BybitSigner
{
    public static string Rest(string secret, long timestamp, string apiKey, long receiveWindowMs, string payload) =>
        Hex(secret, string.Concat(Text(timestamp), apiKey, Text(receiveWindowMs), payload));

    public static string WebSocket(string secret, long expires) => Hex(secret, "GET/realtime" + Text(expires));

    private static string Hex(string secret, string message) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(message)));

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
