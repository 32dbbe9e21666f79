using System.Security.Cryptography;
using System.Text;

namespace LlmGateway.Security;

/// <summary>A set of Bearer keys, checked in a time that tells nothing about the key that was sent.</summary>
/// <remarks>
/// FixedTimeEquals alone returns at once when the lengths differ, which tells a key's length, and stopping at the
/// first match tells which key matched. Both sides are hashed with SHA-256 (same length, whatever was sent) and
/// every key is compared every time.
/// </remarks>
public sealed class KeyRing
{
    private readonly byte[][] _hashes;

    public KeyRing(IEnumerable<string> keys) => _hashes = [.. keys.Select(Hash)];

    public bool IsEmpty => _hashes.Length == 0;

    /// <summary>Whether the request's "Authorization: Bearer KEY" is one of the keys; null when none was sent.</summary>
    public bool? Accepts(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? Contains(header["Bearer ".Length..].Trim()) : null;
    }

    public bool Contains(string key)
    {
        var given = Hash(key);
        var found = false;
        foreach (var hash in _hashes)
        {
            found |= CryptographicOperations.FixedTimeEquals(hash, given);
        }

        return found;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
