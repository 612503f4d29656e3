using System.Buffers;
using System.Globalization;
using System.Net.Mail;
using System.Text;

namespace Caseline.Messages.Validation;

/// <summary>The checks behind each <see cref="FieldKind"/>. A key is where the error is reported; the spec's name is what it says.</summary>
internal static class Rules
{
    public static readonly DateOnly EarliestDate = new(1900, 1, 1);
    public static readonly DateOnly LatestDate = new(2199, 12, 31);

    private static readonly SearchValues<char> IdentifierCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:~");

    public static void Identifier(FieldSpec spec, string? value, ValidationBuilder errors, string key)
    {
        if (string.IsNullOrEmpty(value))
        {
            errors.Required(key, spec.Name);
            return;
        }

        if (value.AsSpan().ContainsAnyExcept(IdentifierCharacters))
        {
            errors.NotAllowedCharacters(key, spec.Name);
        }

        CheckLength(spec, value, errors, key);
    }

    public static void Text(FieldSpec spec, string? value, ValidationBuilder errors, string key)
    {
        if (value is null)
        {
            RequireIfNeeded(spec, errors, key);
            return;
        }

        if (spec.IsRequired && string.IsNullOrWhiteSpace(value))
        {
            errors.Required(key, spec.Name);
        }

        if (!IsAllowedText(value))
        {
            errors.NotAllowedCharacters(key, spec.Name);
        }

        CheckLength(spec, value, errors, key);
    }

    public static void Enumeration(FieldSpec spec, string? value, ValidationBuilder errors, string key)
    {
        if (value is null)
        {
            RequireIfNeeded(spec, errors, key);
        }
        else if (!spec.AllowedValues.Contains(value, StringComparer.Ordinal))
        {
            errors.Invalid(key, spec.Name);
        }
    }

    public static void Email(FieldSpec spec, string? value, ValidationBuilder errors, string key) =>
        Formatted(spec, value, errors, key, IsEmail);

    public static void TimeZone(FieldSpec spec, string? value, ValidationBuilder errors, string key) =>
        Formatted(spec, value, errors, key, id => TimeZoneInfo.TryConvertWindowsIdToIanaId(id, out _));

    public static void Year(FieldSpec spec, string? value, ValidationBuilder errors, string key) =>
        Formatted(spec, value, errors, key, year => year.Length == 4 && year.All(char.IsAsciiDigit));

    public static void Number(FieldSpec spec, decimal? value, ValidationBuilder errors, string key)
    {
        if (value is null)
        {
            RequireIfNeeded(spec, errors, key);
        }
        else if (value < spec.Minimum || value > spec.Maximum)
        {
            errors.Invalid(key, spec.Name);
        }
    }

    public static void Date(FieldSpec spec, DateOnly? value, DateOnly? notBefore, ValidationBuilder errors, string key)
    {
        if (value is not { } date)
        {
            RequireIfNeeded(spec, errors, key);
        }
        else if (date < EarliestDate || date > LatestDate
            || (spec.NotInFuture && date > errors.LatestBirthDate)
            || (notBefore is { } earliest && date < earliest))
        {
            errors.Invalid(key, spec.Name);
        }
    }

    /// <summary>
    /// Letters of any script, marks, digits, spaces, punctuation and symbols. Refused: control and
    /// format characters (which can hide or reorder text), line and paragraph separators, private-use
    /// and unassigned code points, lone surrogates, and <c>&lt;</c> <c>&gt;</c>. The zero-width
    /// (non-)joiners stay allowed: several scripts need them to spell names.
    /// </summary>
    public static bool IsAllowedText(ReadOnlySpan<char> text)
    {
        while (!text.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(text, out var rune, out var consumed) != OperationStatus.Done)
            {
                return false;
            }

            text = text[consumed..];
            if (rune.Value is '<' or '>')
            {
                return false;
            }

            switch (Rune.GetUnicodeCategory(rune))
            {
                case UnicodeCategory.Control:
                case UnicodeCategory.LineSeparator:
                case UnicodeCategory.ParagraphSeparator:
                case UnicodeCategory.PrivateUse:
                case UnicodeCategory.OtherNotAssigned:
                case UnicodeCategory.Surrogate:
                case UnicodeCategory.Format when rune.Value is not (0x200C or 0x200D):
                    return false;
            }
        }

        return true;
    }

    public static bool IsEmail(string value) =>
        !value.Any(char.IsWhiteSpace)
        && MailAddress.TryCreate(value, out var address)
        && string.Equals(address.Address, value, StringComparison.Ordinal)
        && string.IsNullOrEmpty(address.DisplayName)
        && address.Host.Contains('.', StringComparison.Ordinal)
        && !address.Host.StartsWith('.')
        && !address.Host.EndsWith('.');

    /// <summary>Length in Unicode code points, as JSON Schema's <c>maxLength</c> and PostgreSQL count it.</summary>
    public static int CodePoints(string value)
    {
        var count = value.Length;
        foreach (var c in value)
        {
            if (char.IsLowSurrogate(c))
            {
                count--;
            }
        }

        return count;
    }

    private static void CheckLength(FieldSpec spec, string value, ValidationBuilder errors, string key)
    {
        if (spec.MaxLength is { } max && value.Length > max && CodePoints(value) > max)
        {
            errors.TooLong(key, spec.Name, max);
        }
    }

    /// <summary>A string with a format of its own: too long is reported as such, anything else off-format as invalid.</summary>
    private static void Formatted(FieldSpec spec, string? value, ValidationBuilder errors, string key, Func<string, bool> isWellFormed)
    {
        if (value is null)
        {
            RequireIfNeeded(spec, errors, key);
        }
        else if (spec.MaxLength is { } max && CodePoints(value) > max)
        {
            errors.TooLong(key, spec.Name, max);
        }
        else if (!isWellFormed(value))
        {
            errors.Invalid(key, spec.Name);
        }
    }

    private static void RequireIfNeeded(FieldSpec spec, ValidationBuilder errors, string key)
    {
        if (spec.IsRequired)
        {
            errors.Required(key, spec.Name);
        }
    }
}
