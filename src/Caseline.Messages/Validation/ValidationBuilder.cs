namespace Caseline.Messages.Validation;

/// <summary>Collects field errors keyed by path (<c>Offenses[0].Label</c>), in the original system's wording.</summary>
internal sealed class ValidationBuilder(DateOnly latestBirthDate)
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public DateOnly LatestBirthDate { get; } = latestBirthDate;

    public void Required(string key, string field) => Add(key, $"{field} is required");

    public void NotAllowedCharacters(string key, string field) => Add(key, $"{field} contains some characters which are not allowed");

    public void TooLong(string key, string field, int maxLength) => Add(key, $"{field} must be at most {maxLength} characters long");

    public void Invalid(string key, string field) => Add(key, $"{field} is invalid");

    public Dictionary<string, string[]> ToDictionary() =>
        _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);

    private void Add(string key, string message)
    {
        if (!_errors.TryGetValue(key, out var messages))
        {
            _errors[key] = messages = [];
        }

        messages.Add(message);
    }
}
