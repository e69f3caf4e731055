using System.Globalization;

namespace Snapcat.Nbd.Tls;

/// <summary>
/// A TLS pre-shared-key file in the format GnuTLS's <c>psktool</c> writes and nbdkit, libnbd and qemu read:
/// one <c>username:hexkey</c> per line. The array reads all of a port's keys; a client reads the one
/// key of its username. Blank lines and lines starting with <c>#</c> are skipped.
/// </summary>
public static class PskKeyFile
{
    /// <summary>Every username and its key; a malformed line is an error naming the file and the line number.</summary>
    public static IReadOnlyDictionary<string, byte[]> Read(string path)
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"PSK file {path}: cannot be read: {e.Message}", e);
        }
        return Parse(lines, path);
    }

    /// <summary>The key of <paramref name="username"/> in the file at <paramref name="path"/>.</summary>
    public static byte[] ReadKey(string path, string username)
    {
        var keys = Read(path);
        return keys.TryGetValue(username, out var key)
            ? key
            : throw new InvalidDataException($"PSK file {path}: has no key for username '{username}' (it has: {string.Join(", ", keys.Keys)})");
    }

    public static IReadOnlyDictionary<string, byte[]> Parse(IEnumerable<string> lines, string source)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        int number = 0;
        foreach (string raw in lines)
        {
            number++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            int colon = line.LastIndexOf(':');
            if (colon <= 0 || colon == line.Length - 1)
                throw new InvalidDataException($"PSK file {source}, line {number}: expected 'username:hexkey'");
            string user = line[..colon], hex = line[(colon + 1)..];
            if (hex.Length % 2 != 0 || !hex.All(Uri.IsHexDigit))
                throw new InvalidDataException($"PSK file {source}, line {number}: the key of '{user}' is not an even number of hex digits");
            if (hex.Length < 32)
                throw new InvalidDataException($"PSK file {source}, line {number}: the key of '{user}' has {hex.Length / 2} bytes; at least 16 are needed");
            if (!keys.TryAdd(user, Convert.FromHexString(hex)))
                throw new InvalidDataException($"PSK file {source}, line {number}: username '{user}' appears twice");
        }
        if (keys.Count == 0) throw new InvalidDataException($"PSK file {source}: holds no key");
        return keys;
    }

    /// <summary>One line for <paramref name="username"/> with a new random 32-byte key (as <c>psktool -s 32</c> makes).</summary>
    public static string NewLine(string username) =>
        string.Create(CultureInfo.InvariantCulture, $"{username}:{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))}");
}
