using System.Globalization;
using Snapcat.Core.Errors;

namespace Snapcat.Core.Units;

/// <summary>
/// Sizes as administrators type them: <c>4096</c>, <c>512K</c>, <c>512M</c>, <c>20G</c>, <c>1T</c>, with an optional
/// <c>i</c>/<c>iB</c>/<c>B</c> suffix. All units are binary (1K = 1024), as for disk volumes in lvcreate/qemu-img.
/// </summary>
public static class ByteSize
{
    public static long Parse(string text)
    {
        if (!TryParse(text, out long value, out string? error))
            Throw.Invalid("size.invalid", error!);
        return value;
    }

    public static bool TryParse(string? text, out long value, out string? error)
    {
        value = 0;
        error = null;
        string s = (text ?? "").Trim();
        if (s.Length == 0)
        {
            error = "size is empty; give a number with an optional unit, such as 512M or 20G";
            return false;
        }
        string upper = s.ToUpperInvariant();
        if (upper.EndsWith("IB", StringComparison.Ordinal)) upper = upper[..^2];
        else if (upper.EndsWith('B') && upper.Length > 1) upper = upper[..^1];
        int shift = 0;
        if (upper.Length > 0 && char.IsLetter(upper[^1]))
        {
            shift = upper[^1] switch { 'K' => 10, 'M' => 20, 'G' => 30, 'T' => 40, 'P' => 50, _ => -1 };
            if (shift < 0)
            {
                error = $"size '{s}' has an unknown unit; use K, M, G, T or P (binary units)";
                return false;
            }
            upper = upper[..^1];
        }
        if (!long.TryParse(upper, NumberStyles.None, CultureInfo.InvariantCulture, out long number))
        {
            error = $"size '{s}' is not a whole number with an optional unit, such as 512M or 20G";
            return false;
        }
        if (shift > 0 && number > (long.MaxValue >> shift))
        {
            error = $"size '{s}' is too large";
            return false;
        }
        value = number << shift;
        return true;
    }

    /// <summary>Formats with the largest binary unit that keeps one decimal, e.g. <c>1.5 GiB</c>.</summary>
    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double v = bytes;
        int u = 0;
        while (Math.Abs(v) >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }
        return u == 0 ? $"{bytes} B" : v.ToString(v % 1 == 0 ? "0" : "0.#", CultureInfo.InvariantCulture) + " " + units[u];
    }
}
