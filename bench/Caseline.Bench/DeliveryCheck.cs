using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Caseline.Messages;
using Caseline.Messages.Json;

namespace Caseline.Bench;

/// <summary>
/// What every receiver in the delivery workloads does with a message, whoever brought it (Caseline's
/// webhooks or a broker): verify its Standard Webhooks signature, read it, and check that each client's
/// messages arrive in order (the seeded addresses count up). Duplicates are counted once.
/// </summary>
public sealed class DeliveryCheck(byte[] key)
{
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _last = new(StringComparer.Ordinal);
    private long _badSignatures;
    private long _outOfOrder;

    public byte[] Key { get; set; } = key;

    public int Distinct => _seen.Count;

    public long BadSignatures => Interlocked.Read(ref _badSignatures);

    public long OutOfOrder => Interlocked.Read(ref _outOfOrder);

    /// <summary>The <c>webhook-signature</c> value for a message, as Caseline signs it.</summary>
    public static string Sign(byte[] key, string id, string timestamp, ReadOnlySpan<byte> body) =>
        "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, (byte[])[.. Encoding.UTF8.GetBytes($"{id}.{timestamp}."), .. body]));

    /// <summary>Checks one arrival; false when its signature is wrong.</summary>
    public bool Accept(string id, string timestamp, string signatures, ReadOnlySpan<byte> body)
    {
        if (!signatures.Split(' ').Contains(Sign(Key, id, timestamp, body)))
        {
            Interlocked.Increment(ref _badSignatures);
            return false;
        }

        var message = MessageReader.Read(body);
        var client = message.Client.IntegrationId;
        // The order is read from the address's leading number, which the bench's writers count up per client; other
        // messages (a client's creation) are only counted.
        if (_seen.TryAdd(id, 0)
            && message.Details is AddressDetails { Address: { } address }
            && long.TryParse(address.Split(' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            var previous = _last.GetValueOrDefault(client, -1);
            if (sequence < previous)
            {
                Interlocked.Increment(ref _outOfOrder);
            }

            _last[client] = Math.Max(previous, sequence);
        }

        return true;
    }
}
