namespace Snapcat.Tape.Labels;

/// <summary>
/// Label dates <c>cyyddd</c> (specs/tape.md §d "Dates"): c = blank for 19xx, '0' for 20xx, '1' for 21xx;
/// yy the year in the century; ddd the day of the year. All zeros (or " 00000") = no date / never expires.
/// </summary>
public static class TapeDate
{
    public const int Length = 6;

    public static string Format(DateOnly? date)
    {
        if (date is not { } d)
            return "000000";
        char century = (d.Year / 100) switch
        {
            19 => ' ',
            20 => '0',
            21 => '1',
            _ => throw new TapeFormatException("tape.label.date", $"year {d.Year} cannot be written as a label date (1900-2199)"),
        };
        return $"{century}{d.Year % 100:00}{d.DayOfYear:000}";
    }

    public static DateOnly? Parse(string text, string field)
    {
        if (text.Length != Length)
            text = text.PadRight(Length);
        if (text is "000000" or " 00000")
            return null;
        int century = text[0] switch { ' ' => 1900, '0' => 2000, '1' => 2100, _ => -1 };
        if (century < 0 || !int.TryParse(text.AsSpan(1, 2), out int yy) || !text.AsSpan(1).ContainsOnlyDigits() ||
            !int.TryParse(text.AsSpan(3, 3), out int day))
            throw new TapeFormatException("tape.label.date", $"{field} '{text}' is not a cyyddd date");
        int year = century + yy;
        if (day < 1 || day > (DateTime.IsLeapYear(year) ? 366 : 365))
            throw new TapeFormatException("tape.label.date", $"{field} '{text}' names day {day} of {year}");
        return new DateOnly(year, 1, 1).AddDays(day - 1);
    }

    private static bool ContainsOnlyDigits(this ReadOnlySpan<char> s)
    {
        foreach (char c in s)
            if (c is < '0' or > '9')
                return false;
        return true;
    }
}
