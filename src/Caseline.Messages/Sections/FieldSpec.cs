namespace Caseline.Messages;

/// <summary>What kind of value a field holds, and so which validation rule applies to it.</summary>
public enum FieldKind
{
    /// <summary>An identifier: ASCII letters, digits and <c>- _ . : ~</c>.</summary>
    Identifier,

    /// <summary>Free text: letters of any script, digits, spaces, punctuation and symbols; no control characters, no <c>&lt;</c> or <c>&gt;</c>.</summary>
    Text,

    /// <summary>One of <see cref="FieldSpec.AllowedValues"/>, exactly as spelt there.</summary>
    Enumeration,

    /// <summary>A calendar date, <c>yyyy-MM-dd</c>, from 1900-01-01 to 2199-12-31.</summary>
    Date,

    /// <summary>A year as a four-digit string.</summary>
    Year,

    /// <summary>An email address.</summary>
    Email,

    /// <summary>A Windows time-zone id.</summary>
    TimeZone,

    /// <summary>A JSON number between <see cref="FieldSpec.Minimum"/> and <see cref="FieldSpec.Maximum"/>.</summary>
    Number,

    /// <summary>A JSON boolean.</summary>
    Boolean,

    /// <summary>An array of objects described by <see cref="FieldSpec.ItemFields"/>.</summary>
    List,
}

/// <summary>The documented rules of one field of a section: the single source of validation and of the limits table.</summary>
public sealed record FieldSpec
{
    internal FieldSpec(string name, FieldKind kind)
    {
        Name = name;
        Kind = kind;
    }

    /// <summary>The wire name.</summary>
    public string Name { get; }

    /// <summary>The kind of value.</summary>
    public FieldKind Kind { get; }

    /// <summary>Whether a value must be present (and, for text, not blank).</summary>
    public bool IsRequired { get; init; }

    /// <summary>The most characters (Unicode code points) a string value may have; null for non-strings.</summary>
    public int? MaxLength { get; init; }

    /// <summary>For <see cref="FieldKind.Enumeration"/>: the values accepted, as they are written.</summary>
    public IReadOnlyList<string> AllowedValues { get; init; } = [];

    /// <summary>Other names a reader accepts for this field (<c>Ethnicity</c> for <c>Ethinicity</c>).</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>For <see cref="FieldKind.Number"/>: the smallest value accepted.</summary>
    public decimal? Minimum { get; init; }

    /// <summary>For <see cref="FieldKind.Number"/>: the largest value accepted.</summary>
    public decimal? Maximum { get; init; }

    /// <summary>For <see cref="FieldKind.Date"/>: the date may not be later than tomorrow (UTC), so no time zone refuses a birth today.</summary>
    public bool NotInFuture { get; init; }

    /// <summary>For <see cref="FieldKind.Date"/>: the field of the same section this date may not precede.</summary>
    public string? NotBefore { get; init; }

    /// <summary>For <see cref="FieldKind.List"/>: the most items accepted.</summary>
    public int? MaxItems { get; init; }

    /// <summary>For <see cref="FieldKind.List"/>: the fields of each item.</summary>
    public IReadOnlyList<FieldSpec> ItemFields { get; init; } = [];
}
