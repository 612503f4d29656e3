using Caseline.Messages.Validation;

namespace Caseline.Messages;

internal enum DateRule
{
    Any,
    NotInFuture,
}

/// <summary>The fields of one record type, each with its spec and how to read it: validation walks this table.</summary>
internal sealed class FieldTable<T>
{
    private const int IdentifierMaxLength = 64;
    private readonly List<(FieldSpec Spec, Action<T, ValidationBuilder, string> Validate, Func<T, bool> HasValue)> _fields = [];

    public IReadOnlyList<FieldSpec> Specs => [.. _fields.Select(f => f.Spec)];

    public bool IsEmpty(T value) => !_fields.Any(f => f.Spec.Name != "IntegrationId" && f.HasValue(value));

    public void Validate(T value, ValidationBuilder errors, string prefix)
    {
        foreach (var field in _fields)
        {
            field.Validate(value, errors, prefix);
        }
    }

    public FieldTable<T> Identifier(Func<T, string?> get) =>
        Add(new FieldSpec("IntegrationId", FieldKind.Identifier) { IsRequired = true, MaxLength = IdentifierMaxLength },
            get, (spec, v, e, key) => Rules.Identifier(spec, v, e, key));

    public FieldTable<T> Text(string name, int maxLength, Func<T, string?> get, bool required = false, string[]? aliases = null) =>
        Add(new FieldSpec(name, FieldKind.Text) { IsRequired = required, MaxLength = maxLength, Aliases = aliases ?? [] },
            get, (spec, v, e, key) => Rules.Text(spec, v, e, key));

    public FieldTable<T> Enumeration(string name, string[] allowed, Func<T, string?> get, bool required = false) =>
        Add(new FieldSpec(name, FieldKind.Enumeration) { IsRequired = required, AllowedValues = allowed, MaxLength = allowed.Max(a => a.Length) },
            get, (spec, v, e, key) => Rules.Enumeration(spec, v, e, key));

    public FieldTable<T> Email(string name, int maxLength, Func<T, string?> get) =>
        Add(new FieldSpec(name, FieldKind.Email) { MaxLength = maxLength },
            get, (spec, v, e, key) => Rules.Email(spec, v, e, key));

    public FieldTable<T> TimeZone(string name, Func<T, string?> get) =>
        Add(new FieldSpec(name, FieldKind.TimeZone) { MaxLength = 64 },
            get, (spec, v, e, key) => Rules.TimeZone(spec, v, e, key));

    public FieldTable<T> Year(string name, Func<T, string?> get) =>
        Add(new FieldSpec(name, FieldKind.Year),
            get, (spec, v, e, key) => Rules.Year(spec, v, e, key));

    public FieldTable<T> Number(string name, decimal minimum, decimal maximum, Func<T, decimal?> get) =>
        Add(new FieldSpec(name, FieldKind.Number) { Minimum = minimum, Maximum = maximum },
            get, (spec, v, e, key) => Rules.Number(spec, v, e, key));

    public FieldTable<T> Boolean(string name, Func<T, bool?> get) =>
        Add(new FieldSpec(name, FieldKind.Boolean), get, (_, _, _, _) => { });

    public FieldTable<T> Date(string name, Func<T, DateOnly?> get, DateRule rule = DateRule.Any, (string Name, Func<T, DateOnly?> Get)? notBefore = null)
    {
        var spec = new FieldSpec(name, FieldKind.Date) { NotInFuture = rule == DateRule.NotInFuture, NotBefore = notBefore?.Name };
        _fields.Add((spec,
            (item, errors, prefix) => Rules.Date(spec, get(item), notBefore?.Get(item), errors, prefix + name),
            item => get(item) is not null));
        return this;
    }

    public FieldTable<T> List<TItem>(string name, int maxItems, Func<T, IReadOnlyList<TItem>> get, FieldTable<TItem> itemFields)
    {
        var spec = new FieldSpec(name, FieldKind.List) { MaxItems = maxItems, ItemFields = itemFields.Specs };
        _fields.Add((spec,
            (item, errors, prefix) =>
            {
                var items = get(item);
                if (items.Count > maxItems)
                {
                    errors.Invalid(prefix + name, name);
                    return;
                }

                for (var i = 0; i < items.Count; i++)
                {
                    itemFields.Validate(items[i], errors, $"{prefix}{name}[{i}].");
                }
            },
            item => get(item).Count > 0));
        return this;
    }

    private FieldTable<T> Add<TValue>(FieldSpec spec, Func<T, TValue> get, Action<FieldSpec, TValue, ValidationBuilder, string> rule)
    {
        _fields.Add((spec, (item, errors, prefix) => rule(spec, get(item), errors, prefix + spec.Name), item => get(item) is not null));
        return this;
    }
}

/// <summary>A section whose details are records of type <typeparamref name="T"/>.</summary>
internal sealed class Section<T>(string name, string? collectionName, string? profileProperty, FieldTable<T> fields)
    : Section(name, typeof(T), collectionName, profileProperty)
    where T : SectionDetails
{
    public override IReadOnlyList<FieldSpec> Fields { get; } = fields.Specs;

    internal override bool IsEmpty(SectionDetails details) => fields.IsEmpty((T)details);

    internal override void Validate(SectionDetails details, ValidationBuilder errors, string prefix) =>
        fields.Validate((T)details, errors, prefix);
}
