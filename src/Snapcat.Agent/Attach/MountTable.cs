namespace Snapcat.Agent.Attach;

/// <summary>Reads /proc/self/mountinfo to tell whether a directory is a mount point.</summary>
public static class MountTable
{
    // mountinfo line (proc(5)): ID parentID major:minor root MOUNTPOINT options ... - fstype source superopts
    // Field 5 is the mount point with space, tab, newline and backslash written as \ooo octal escapes.
    public static bool IsMountPoint(string directory)
    {
        string want = Path.GetFullPath(directory).TrimEnd('/');
        if (want.Length == 0) want = "/";
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            string[] f = line.Split(' ');
            if (f.Length > 4 && Unescape(f[4]) == want) return true;
        }
        return false;
    }

    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new System.Text.StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && IsOctal(s, i + 1))
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s[at] is >= '0' and <= '7' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';
}
