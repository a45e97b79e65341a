//! The builtins and the nixpkgs `lib` functions configurations call, as Nix defines them; the
//! module system's (`mkIf`, `mkMerge`, `mkOption`, ...) as values for the host's merge.
//!
//! A function not here is unknown, and so is what it returns: reading a host never guesses.

use std::path::PathBuf;
use std::rc::Rc;

use super::{unknown, Attrs, Env, Evaluator, ModuleValue, Partial, Thunk, Unknown, Value};

type Run = fn(&Evaluator, &[Thunk]) -> Value;

fn builtin(name: &'static str, arity: usize, run: Run) -> Thunk {
    Thunk::value(Value::Builtin(Rc::new(Partial { name, arity, args: Vec::new(), run })))
}

fn not_known(why: impl Into<String>) -> Value {
    Value::Unknown(Rc::new(Unknown { why: why.into(), place: None }))
}

fn set(entries: Vec<(&str, Thunk)>) -> Value {
    Value::Set(Rc::new(Attrs::from_values(entries.into_iter().map(|(k, v)| (k.to_owned(), v)))))
}

/// The functions both `builtins` and the top level have.
const BUILTINS: &[(&str, usize, Run)] = &[
    ("toString", 1, |ev, a| ev.coerce_to_string(ev.force(&a[0]), true)),
    ("import", 1, |ev, a| match ev.plain(ev.force(&a[0])) {
        Value::Path(p) => ev.force(&ev.import(&p)),
        Value::Str(s) if s.starts_with('/') => ev.force(&ev.import(&PathBuf::from(&*s))),
        Value::Unknown(u) => Value::Unknown(u),
        _ => not_known("an import of something that is not a path of the repository"),
    }),
    ("map", 2, |ev, a| map_list(ev, &a[0], &a[1])),
    ("filter", 2, |ev, a| filter_list(ev, &a[0], &a[1])),
    ("length", 1, |ev, a| with_list(ev, &a[0], |l| Value::Int(l.len() as i64))),
    ("head", 1, |ev, a| {
        with_list(ev, &a[0], |l| {
            l.first().map_or_else(|| not_known("the head of an empty list"), |t| ev.force(t))
        })
    }),
    ("tail", 1, |ev, a| with_list(ev, &a[0], |l| Value::List(l.iter().skip(1).cloned().collect()))),
    ("elemAt", 2, |ev, a| match ev.plain(ev.force(&a[1])) {
        Value::Int(i) => with_list(ev, &a[0], |l| {
            l.get(i as usize).map_or_else(|| not_known("an index out of range"), |t| ev.force(t))
        }),
        other => pass_unknown(other),
    }),
    ("elem", 2, |ev, a| {
        let x = ev.force_plain(&a[0]);
        with_list(ev, &a[1], |l| {
            let mut unsure = false;
            for item in l {
                match ev.equal(&x, &ev.force_plain(item)) {
                    Some(true) => return Value::Bool(true),
                    Some(false) => {}
                    None => unsure = true,
                }
            }
            if unsure {
                not_known("`elem` of unknown values")
            } else {
                Value::Bool(false)
            }
        })
    }),
    ("concatLists", 1, |ev, a| with_list(ev, &a[0], |l| concat_lists(ev, l))),
    ("concatStringsSep", 2, |ev, a| concat_strings(ev, &a[1], &a[0])),
    ("attrNames", 1, |ev, a| {
        with_set(ev, &a[0], |s| {
            Value::List(s.names().map(|n| Thunk::value(Value::Str(n.into()))).collect())
        })
    }),
    ("attrValues", 1, |ev, a| {
        with_set(ev, &a[0], |s| Value::List(s.iter().map(|(_, t)| t.clone()).collect()))
    }),
    ("hasAttr", 2, |ev, a| match ev.plain(ev.force(&a[0])) {
        Value::Str(name) => with_set(ev, &a[1], |s| Value::Bool(s.get(&name).is_some())),
        other => pass_unknown(other),
    }),
    ("getAttr", 2, |ev, a| match ev.plain(ev.force(&a[0])) {
        Value::Str(name) => ev.select(ev.force(&a[1]), &name, None),
        other => pass_unknown(other),
    }),
    ("removeAttrs", 2, |ev, a| {
        let names: Vec<String> = match ev.plain(ev.force(&a[1])) {
            Value::List(l) => {
                l.iter().filter_map(|t| ev.force_plain(t).as_str().map(str::to_owned)).collect()
            }
            other => return pass_unknown(other),
        };
        with_set(ev, &a[0], |s| {
            Value::Set(Rc::new(Attrs {
                unnamed: s.unnamed.clone(),
                entries: s
                    .entries
                    .iter()
                    .filter(|(k, _)| !names.contains(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            }))
        })
    }),
    ("listToAttrs", 1, |ev, a| with_list(ev, &a[0], |l| list_to_attrs(ev, l))),
    ("mapAttrs", 2, |ev, a| map_attrs(ev, &a[0], &a[1])),
    ("foldl'", 3, |ev, a| fold(ev, &a[0], &a[1], &a[2], true)),
    ("genList", 2, |ev, a| match ev.plain(ev.force(&a[1])) {
        Value::Int(n) if n >= 0 => {
            let f = a[0].clone();
            Value::List(
                (0..n)
                    .map(|i| {
                        let f = f.clone();
                        Thunk::native(move |ev| {
                            ev.call(ev.force(&f), Thunk::value(Value::Int(i)), None)
                        })
                    })
                    .collect(),
            )
        }
        other => pass_unknown(other),
    }),
    ("isAttrs", 1, |ev, a| type_is(ev, &a[0], |v| matches!(v, Value::Set(_)))),
    ("isList", 1, |ev, a| type_is(ev, &a[0], |v| matches!(v, Value::List(_)))),
    ("isString", 1, |ev, a| type_is(ev, &a[0], |v| matches!(v, Value::Str(_)))),
    ("isInt", 1, |ev, a| type_is(ev, &a[0], |v| matches!(v, Value::Int(_)))),
    ("isBool", 1, |ev, a| type_is(ev, &a[0], |v| matches!(v, Value::Bool(_)))),
    ("isNull", 1, |ev, a| type_is(ev, &a[0], |v| matches!(v, Value::Null))),
    ("isPath", 1, |ev, a| type_is(ev, &a[0], |v| matches!(v, Value::Path(_)))),
    ("isFunction", 1, |ev, a| {
        type_is(ev, &a[0], |v| matches!(v, Value::Lambda(_) | Value::Builtin(_)))
    }),
    ("pathExists", 1, |ev, a| match repository_path(ev, ev.plain(ev.force(&a[0]))) {
        Value::Path(p) => Value::Bool(p.exists()),
        other => pass_unknown(other),
    }),
    // `builtins.readDir ./modules`: every entry with its kind, as Nix gives them.
    ("readDir", 1, |ev, a| match repository_path(ev, ev.plain(ev.force(&a[0]))) {
        Value::Path(p) if p.starts_with(ev.root()) => match std::fs::read_dir(&*p) {
            Ok(entries) => {
                Value::Set(Rc::new(Attrs::from_values(entries.filter_map(Result::ok).map(|e| {
                    let kind = match e.file_type() {
                        Ok(t) if t.is_dir() => "directory",
                        Ok(t) if t.is_symlink() => "symlink",
                        Ok(t) if t.is_file() => "regular",
                        _ => "unknown",
                    };
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        Thunk::value(Value::Str(kind.into())),
                    )
                }))))
            }
            Err(e) => not_known(format!("{}: {e}", p.display())),
        },
        other => pass_unknown(other),
    }),
    ("readFile", 1, |ev, a| match ev.plain(ev.force(&a[0])) {
        Value::Path(p) if p.starts_with(ev.root()) => std::fs::read_to_string(&*p)
            .map_or_else(|e| not_known(e.to_string()), |t| Value::Str(t.into())),
        other => pass_unknown(other),
    }),
    ("baseNameOf", 1, |ev, a| match ev.coerce_to_string(ev.force(&a[0]), false) {
        Value::Str(s) => {
            Value::Str(s.trim_end_matches('/').rsplit('/').next().unwrap_or("").into())
        }
        other => other,
    }),
    ("dirOf", 1, |ev, a| match ev.plain(ev.force(&a[0])) {
        Value::Path(p) => Value::Path(p.parent().map(|d| d.to_owned()).unwrap_or_default().into()),
        other => pass_unknown(other),
    }),
    ("replaceStrings", 3, |ev, a| replace_strings(ev, a)),
    ("substring", 3, |ev, a| {
        match (
            ev.force_plain(&a[0]),
            ev.force_plain(&a[1]),
            ev.coerce_to_string(ev.force(&a[2]), false),
        ) {
            (Value::Int(start), Value::Int(len), Value::Str(s)) => {
                let start = (start.max(0) as usize).min(s.len());
                let end = if len < 0 { s.len() } else { (start + len as usize).min(s.len()) };
                s.get(start..end).map_or_else(
                    || not_known("a substring inside a character"),
                    |t| Value::Str(t.into()),
                )
            }
            (Value::Unknown(u), _, _) | (_, Value::Unknown(u), _) | (_, _, Value::Unknown(u)) => {
                Value::Unknown(u)
            }
            _ => not_known("`substring` of values it does not take"),
        }
    }),
    ("stringLength", 1, |ev, a| match ev.coerce_to_string(ev.force(&a[0]), false) {
        Value::Str(s) => Value::Int(s.len() as i64),
        other => other,
    }),
    ("typeOf", 1, |ev, a| match ev.force_plain(&a[0]) {
        Value::Null => Value::Str("null".into()),
        Value::Bool(_) => Value::Str("bool".into()),
        Value::Int(_) => Value::Str("int".into()),
        Value::Float(_) => Value::Str("float".into()),
        Value::Str(_) => Value::Str("string".into()),
        Value::Path(_) => Value::Str("path".into()),
        Value::List(_) => Value::Str("list".into()),
        Value::Set(_) => Value::Str("set".into()),
        Value::Lambda(_) | Value::Builtin(_) => Value::Str("lambda".into()),
        other => pass_unknown(other),
    }),
    ("trace", 2, |ev, a| ev.force(&a[1])),
    ("seq", 2, |ev, a| ev.force(&a[1])),
    ("deepSeq", 2, |ev, a| ev.force(&a[1])),
    ("throw", 1, |ev, a| match ev.force_plain(&a[0]) {
        Value::Str(s) => not_known(format!("it throws: {s}")),
        _ => not_known("it throws"),
    }),
    ("abort", 1, |_, _| not_known("it aborts")),
    ("intersectAttrs", 2, |ev, a| match (ev.force_plain(&a[0]), ev.force_plain(&a[1])) {
        (Value::Set(x), Value::Set(y)) => Value::Set(Rc::new(Attrs {
            unnamed: Vec::new(),
            entries: y
                .entries
                .iter()
                .filter(|(k, _)| x.get(k).is_some())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })),
        (other, _) => pass_unknown(other),
    }),
    ("catAttrs", 2, |ev, a| match ev.force_plain(&a[0]) {
        Value::Str(name) => with_list(ev, &a[1], |l| {
            Value::List(
                l.iter()
                    .filter_map(|t| match ev.force_plain(t) {
                        Value::Set(s) => s.get(&name).cloned(),
                        _ => None,
                    })
                    .collect(),
            )
        }),
        other => pass_unknown(other),
    }),
    ("all", 2, |ev, a| any_all(ev, &a[0], &a[1], true)),
    ("any", 2, |ev, a| any_all(ev, &a[0], &a[1], false)),
    ("toJSON", 1, |_, _| not_known("`toJSON` is not read")),
    ("fromJSON", 1, |_, _| not_known("`fromJSON` is not read")),
    ("toFile", 2, |_, _| not_known("a file in the Nix store")),
    ("fetchTarball", 1, |_, _| not_known("a download")),
    ("fetchGit", 1, |_, _| not_known("a download")),
    ("fetchurl", 1, |_, _| not_known("a download")),
    ("getFlake", 1, |_, _| not_known("a flake")),
    ("derivation", 1, |_, _| not_known("a package")),
    // `builtins.match "(.*)\\.nix" name`: the groups when the whole string matches, else null.
    ("match", 2, |ev, a| {
        let (re, s) = match (ev.force_plain(&a[0]), ev.force_plain(&a[1])) {
            (Value::Str(re), Value::Str(s)) => (re, s),
            (Value::Unknown(u), _) | (_, Value::Unknown(u)) => return Value::Unknown(u),
            _ => return not_known("a regular expression matched against something not a string"),
        };
        let Ok(whole) = regex::Regex::new(&format!("^(?:{re})$")) else {
            return not_known("a regular expression this reader does not take");
        };
        match whole.captures(&s) {
            None => Value::Null,
            Some(groups) => Value::List(groups_of(&groups)),
        }
    }),
    // `builtins.split "," "a,b"`: the parts between matches, each match's groups between them.
    ("split", 2, |ev, a| {
        let (re, s) = match (ev.force_plain(&a[0]), ev.force_plain(&a[1])) {
            (Value::Str(re), Value::Str(s)) => (re, s),
            (Value::Unknown(u), _) | (_, Value::Unknown(u)) => return Value::Unknown(u),
            _ => return not_known("a regular expression matched against something not a string"),
        };
        let Ok(re) = regex::Regex::new(&re) else {
            return not_known("a regular expression this reader does not take");
        };
        let mut out = Vec::new();
        let mut last = 0;
        for groups in re.captures_iter(&s) {
            let whole = groups.get(0).expect("the whole match");
            out.push(Thunk::value(Value::Str(s[last..whole.start()].into())));
            out.push(Thunk::value(Value::List(groups_of(&groups))));
            last = whole.end();
        }
        out.push(Thunk::value(Value::Str(s[last..].into())));
        Value::List(out.into())
    }),
    ("getEnv", 1, |_, _| not_known("an environment variable")),
];

/// The functions of nixpkgs' `lib` that configurations use, beside the builtins.
const LIB: &[(&str, usize, Run)] = &[
    ("mkIf", 2, |_, a| {
        Value::Module(Rc::new(ModuleValue::If { condition: a[0].clone(), content: a[1].clone() }))
    }),
    ("mkMerge", 1, |ev, a| match ev.force(&a[0]) {
        Value::List(items) => Value::Module(Rc::new(ModuleValue::Merge(items))),
        other => pass_unknown(other),
    }),
    ("mkOverride", 2, |ev, a| match ev.force_plain(&a[0]) {
        Value::Int(priority) => {
            Value::Module(Rc::new(ModuleValue::Override { priority, content: a[1].clone() }))
        }
        _ => Value::Module(Rc::new(ModuleValue::Override { priority: 100, content: a[1].clone() })),
    }),
    ("mkDefault", 1, |_, a| priority(1000, &a[0])),
    ("mkForce", 1, |_, a| priority(50, &a[0])),
    ("mkOptionDefault", 1, |_, a| priority(1500, &a[0])),
    ("mkImageMediaOverride", 1, |_, a| priority(60, &a[0])),
    ("mkVMOverride", 1, |_, a| priority(10, &a[0])),
    ("mkBefore", 1, |_, a| Value::Module(Rc::new(ModuleValue::Order(a[0].clone())))),
    ("mkAfter", 1, |_, a| Value::Module(Rc::new(ModuleValue::Order(a[0].clone())))),
    ("mkOrder", 2, |_, a| Value::Module(Rc::new(ModuleValue::Order(a[1].clone())))),
    ("mkOption", 1, |ev, a| {
        let default = match ev.force(&a[0]) {
            Value::Set(s) => s.get("default").cloned(),
            _ => None,
        };
        Value::Module(Rc::new(ModuleValue::Option { default }))
    }),
    ("mkEnableOption", 1, |_, _| {
        Value::Module(Rc::new(ModuleValue::Option {
            default: Some(Thunk::value(Value::Bool(false))),
        }))
    }),
    ("mkPackageOption", 3, |_, _| {
        Value::Module(Rc::new(ModuleValue::Option {
            default: Some(unknown("a package".into(), None)),
        }))
    }),
    ("mkRemovedOptionModule", 2, |_, _| Value::Set(Rc::default())),
    ("mkRenamedOptionModule", 2, |_, _| Value::Set(Rc::default())),
    ("mkAliasOptionModule", 2, |_, _| Value::Set(Rc::default())),
    ("literalExpression", 1, |ev, a| ev.force(&a[0])),
    ("literalMD", 1, |ev, a| ev.force(&a[0])),
    ("mdDoc", 1, |ev, a| ev.force(&a[0])),
    ("id", 1, |ev, a| ev.force(&a[0])),
    // `lib.filesystem.listFilesRecursive ./modules`: every file below, as paths, in order.
    ("listFilesRecursive", 1, |ev, a| match repository_path(ev, ev.plain(ev.force(&a[0]))) {
        Value::Path(p) if p.starts_with(ev.root()) => {
            let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&*p)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .map(|e| e.into_path())
                .collect();
            files.sort();
            Value::List(files.into_iter().map(|f| Thunk::value(Value::Path(f.into()))).collect())
        }
        other => pass_unknown(other),
    }),
    // `makeOverridable f`: `f` itself, as far as what it returns goes.
    ("makeOverridable", 1, |ev, a| ev.force(&a[0])),
    ("const", 2, |ev, a| ev.force(&a[0])),
    ("optional", 2, |ev, a| match ev.force_plain(&a[0]) {
        Value::Bool(true) => Value::List(Rc::new([a[1].clone()])),
        Value::Bool(false) => Value::List(Rc::new([])),
        other => pass_unknown(other),
    }),
    ("optionals", 2, |ev, a| match ev.force_plain(&a[0]) {
        Value::Bool(true) => ev.force(&a[1]),
        Value::Bool(false) => Value::List(Rc::new([])),
        other => pass_unknown(other),
    }),
    ("optionalString", 2, |ev, a| match ev.force_plain(&a[0]) {
        Value::Bool(true) => ev.force(&a[1]),
        Value::Bool(false) => Value::Str("".into()),
        other => pass_unknown(other),
    }),
    ("optionalAttrs", 2, |ev, a| match ev.force_plain(&a[0]) {
        Value::Bool(true) => ev.force(&a[1]),
        Value::Bool(false) => Value::Set(Rc::default()),
        other => pass_unknown(other),
    }),
    ("mapAttrs'", 2, |ev, a| {
        let (f, s) = (a[0].clone(), a[1].clone());
        with_set(ev, &s, |attrs| {
            let pairs: Vec<Thunk> = attrs
                .iter()
                .map(|(name, value)| {
                    let (f, name, value) = (f.clone(), name.to_owned(), value.clone());
                    Thunk::native(move |ev| {
                        let g = ev.call(ev.force(&f), Thunk::value(Value::Str(name.into())), None);
                        ev.call(g, value, None)
                    })
                })
                .collect();
            list_to_attrs(ev, &pairs)
        })
    }),
    ("mapAttrsToList", 2, |ev, a| {
        let f = a[0].clone();
        with_set(ev, &a[1], |attrs| {
            Value::List(
                attrs
                    .iter()
                    .map(|(name, value)| {
                        let (f, name, value) = (f.clone(), name.to_owned(), value.clone());
                        Thunk::native(move |ev| {
                            let g =
                                ev.call(ev.force(&f), Thunk::value(Value::Str(name.into())), None);
                            ev.call(g, value, None)
                        })
                    })
                    .collect(),
            )
        })
    }),
    ("nameValuePair", 2, |_, a| set(vec![("name", a[0].clone()), ("value", a[1].clone())])),
    ("genAttrs", 2, |ev, a| {
        let f = a[1].clone();
        with_list(ev, &a[0], |names| {
            let mut entries = Vec::new();
            for name in names {
                match ev.force_plain(name) {
                    Value::Str(n) => {
                        let (f, key) = (f.clone(), n.clone());
                        entries.push((
                            n.to_string(),
                            Thunk::native(move |ev| {
                                ev.call(ev.force(&f), Thunk::value(Value::Str(key)), None)
                            }),
                        ));
                    }
                    other => return pass_unknown(other),
                }
            }
            Value::Set(Rc::new(Attrs::from_values(entries)))
        })
    }),
    ("filterAttrs", 2, |ev, a| {
        let f = a[0].clone();
        with_set(ev, &a[1], |attrs| {
            let mut kept = Vec::new();
            for (name, value) in attrs.iter() {
                let g = ev.call(ev.force(&f), Thunk::value(Value::Str(name.into())), None);
                match ev.plain(ev.call(g, value.clone(), None)) {
                    Value::Bool(true) => kept.push((name.to_owned(), value.clone())),
                    Value::Bool(false) => {}
                    other => return pass_unknown(other),
                }
            }
            Value::Set(Rc::new(Attrs::from_values(kept)))
        })
    }),
    ("recursiveUpdate", 2, |ev, a| {
        recursive_update(ev, ev.force_plain(&a[0]), ev.force_plain(&a[1]))
    }),
    ("foldr", 3, |ev, a| fold(ev, &a[0], &a[1], &a[2], false)),
    ("foldl", 3, |ev, a| fold(ev, &a[0], &a[1], &a[2], true)),
    ("concatMap", 2, |ev, a| match map_list(ev, &a[0], &a[1]) {
        Value::List(l) => concat_lists(ev, &l),
        other => other,
    }),
    ("flatten", 1, |ev, a| flatten(ev, ev.force_plain(&a[0]))),
    ("last", 1, |ev, a| {
        with_list(ev, &a[0], |l| {
            l.last().map_or_else(|| not_known("the last of an empty list"), |t| ev.force(t))
        })
    }),
    ("unique", 1, |ev, a| {
        with_list(ev, &a[0], |l| {
            let mut kept: Vec<(Value, Thunk)> = Vec::new();
            for item in l {
                let v = ev.force_plain(item);
                match kept
                    .iter()
                    .map(|(k, _)| ev.equal(k, &v))
                    .try_fold(false, |seen, e| e.map(|e| seen || e))
                {
                    Some(true) => {}
                    Some(false) => kept.push((v, item.clone())),
                    None => return not_known("`unique` of unknown values"),
                }
            }
            Value::List(kept.into_iter().map(|(_, t)| t).collect())
        })
    }),
    ("concatStrings", 1, |ev, a| concat_strings(ev, &a[0], &Thunk::value(Value::Str("".into())))),
    ("concatMapStrings", 2, |ev, a| match map_list(ev, &a[0], &a[1]) {
        Value::List(l) => {
            concat_strings(ev, &Thunk::value(Value::List(l)), &Thunk::value(Value::Str("".into())))
        }
        other => other,
    }),
    ("concatMapStringsSep", 3, |ev, a| match map_list(ev, &a[1], &a[2]) {
        Value::List(l) => concat_strings(ev, &Thunk::value(Value::List(l)), &a[0]),
        other => other,
    }),
    ("hasPrefix", 2, |ev, a| strings2(ev, a, |p, s| Value::Bool(s.starts_with(p)))),
    ("hasSuffix", 2, |ev, a| strings2(ev, a, |p, s| Value::Bool(s.ends_with(p)))),
    ("removePrefix", 2, |ev, a| {
        strings2(ev, a, |p, s| Value::Str(s.strip_prefix(p).unwrap_or(s).into()))
    }),
    ("removeSuffix", 2, |ev, a| {
        strings2(ev, a, |p, s| Value::Str(s.strip_suffix(p).unwrap_or(s).into()))
    }),
    ("splitString", 2, |ev, a| {
        strings2(ev, a, |sep, s| {
            Value::List(s.split(sep).map(|p| Thunk::value(Value::Str(p.into()))).collect())
        })
    }),
    ("toUpper", 1, |ev, a| match ev.coerce_to_string(ev.force(&a[0]), false) {
        Value::Str(s) => Value::Str(s.to_uppercase().into()),
        o => o,
    }),
    ("toLower", 1, |ev, a| match ev.coerce_to_string(ev.force(&a[0]), false) {
        Value::Str(s) => Value::Str(s.to_lowercase().into()),
        o => o,
    }),
    ("escapeShellArg", 1, |ev, a| match ev.coerce_to_string(ev.force(&a[0]), true) {
        Value::Str(s) => Value::Str(format!("'{}'", s.replace('\'', "'\\''")).into()),
        o => o,
    }),
    ("fileContents", 1, |ev, a| match ev.plain(ev.force(&a[0])) {
        Value::Path(p) if p.starts_with(ev.root()) => std::fs::read_to_string(&*p)
            .map_or_else(|e| not_known(e.to_string()), |t| Value::Str(t.trim_end().into())),
        other => pass_unknown(other),
    }),
    ("attrByPath", 3, |ev, a| {
        let mut value = ev.force_plain(&a[2]);
        let keys = match ev.force_plain(&a[0]) {
            Value::List(l) => l,
            other => return pass_unknown(other),
        };
        for key in keys.iter() {
            let Value::Str(key) = ev.force_plain(key) else { return not_known("a computed path") };
            value = match value {
                Value::Set(s) => match s.get(&key) {
                    Some(t) => ev.force_plain(t),
                    None => return ev.force(&a[1]),
                },
                other => return pass_unknown(other),
            };
        }
        value
    }),
    ("toInt", 1, |ev, a| match ev.force_plain(&a[0]) {
        Value::Str(s) => s.trim().parse().map_or_else(|_| not_known("not a number"), Value::Int),
        other => pass_unknown(other),
    }),
    ("getExe", 1, |_, _| not_known("a package's program")),
    ("getExe'", 2, |_, _| not_known("a package's program")),
    ("makeBinPath", 1, |_, _| not_known("packages' paths")),
    ("versionAtLeast", 2, |_, _| not_known("a version comparison")),
    ("versionOlder", 2, |_, _| not_known("a version comparison")),
];

fn priority(priority: i64, content: &Thunk) -> Value {
    Value::Module(Rc::new(ModuleValue::Override { priority, content: content.clone() }))
}

fn pass_unknown(value: Value) -> Value {
    match value {
        Value::Unknown(u) => Value::Unknown(u),
        _ => not_known("a function given a value of the wrong kind"),
    }
}

fn with_list(ev: &Evaluator, t: &Thunk, f: impl FnOnce(&[Thunk]) -> Value) -> Value {
    match ev.force_plain(t) {
        Value::List(l) => f(&l),
        other => pass_unknown(other),
    }
}

fn with_set(ev: &Evaluator, t: &Thunk, f: impl FnOnce(&Attrs) -> Value) -> Value {
    match ev.force_plain(t) {
        Value::Set(s) => f(&s),
        other => pass_unknown(other),
    }
}

fn type_is(ev: &Evaluator, t: &Thunk, test: impl Fn(&Value) -> bool) -> Value {
    match ev.force_plain(t) {
        Value::Unknown(u) => Value::Unknown(u),
        v => Value::Bool(test(&v)),
    }
}

fn map_list(ev: &Evaluator, f: &Thunk, list: &Thunk) -> Value {
    with_list(ev, list, |l| {
        Value::List(
            l.iter()
                .map(|item| {
                    let (f, item) = (f.clone(), item.clone());
                    Thunk::native(move |ev| ev.call(ev.force(&f), item, None))
                })
                .collect(),
        )
    })
}

fn filter_list(ev: &Evaluator, f: &Thunk, list: &Thunk) -> Value {
    with_list(ev, list, |l| {
        let mut kept = Vec::new();
        for item in l {
            match ev.plain(ev.call(ev.force(f), item.clone(), None)) {
                Value::Bool(true) => kept.push(item.clone()),
                Value::Bool(false) => {}
                other => return pass_unknown(other),
            }
        }
        Value::List(kept.into())
    })
}

fn any_all(ev: &Evaluator, f: &Thunk, list: &Thunk, all: bool) -> Value {
    with_list(ev, list, |l| {
        for item in l {
            match ev.plain(ev.call(ev.force(f), item.clone(), None)) {
                Value::Bool(b) if b != all => return Value::Bool(!all),
                Value::Bool(_) => {}
                other => return pass_unknown(other),
            }
        }
        Value::Bool(all)
    })
}

fn concat_lists(ev: &Evaluator, lists: &[Thunk]) -> Value {
    let mut all = Vec::new();
    for list in lists {
        match ev.force_plain(list) {
            Value::List(l) => all.extend(l.iter().cloned()),
            other => return pass_unknown(other),
        }
    }
    Value::List(all.into())
}

fn flatten(ev: &Evaluator, value: Value) -> Value {
    match value {
        Value::List(items) => {
            let mut all = Vec::new();
            for item in items.iter() {
                match ev.force_plain(item) {
                    Value::List(_) => match flatten(ev, ev.force_plain(item)) {
                        Value::List(inner) => all.extend(inner.iter().cloned()),
                        other => return other,
                    },
                    _ => all.push(item.clone()),
                }
            }
            Value::List(all.into())
        }
        other => Value::List(Rc::new([Thunk::value(other)])),
    }
}

fn concat_strings(ev: &Evaluator, list: &Thunk, sep: &Thunk) -> Value {
    let sep = match ev.coerce_to_string(ev.force(sep), false) {
        Value::Str(s) => s,
        other => return other,
    };
    with_list(ev, list, |l| {
        let mut parts = Vec::new();
        for item in l {
            match ev.coerce_to_string(ev.force(item), false) {
                Value::Str(s) => parts.push(s.to_string()),
                other => return other,
            }
        }
        Value::Str(parts.join(&sep).into())
    })
}

fn strings2(ev: &Evaluator, a: &[Thunk], f: impl Fn(&str, &str) -> Value) -> Value {
    match (ev.coerce_to_string(ev.force(&a[0]), false), ev.coerce_to_string(ev.force(&a[1]), false))
    {
        (Value::Str(x), Value::Str(y)) => f(&x, &y),
        (Value::Unknown(u), _) | (_, Value::Unknown(u)) => Value::Unknown(u),
        _ => not_known("a string function given something else"),
    }
}

fn replace_strings(ev: &Evaluator, a: &[Thunk]) -> Value {
    let strings = |t: &Thunk| -> Option<Vec<String>> {
        match ev.force_plain(t) {
            Value::List(l) => {
                l.iter().map(|i| ev.force_plain(i).as_str().map(str::to_owned)).collect()
            }
            _ => None,
        }
    };
    let (Some(from), Some(to)) = (strings(&a[0]), strings(&a[1])) else {
        return not_known("`replaceStrings` of unknown strings");
    };
    let Value::Str(s) = ev.coerce_to_string(ev.force(&a[2]), false) else {
        return not_known("`replaceStrings` of an unknown string");
    };
    let mut out = String::new();
    let mut i = 0;
    'scan: while i < s.len() {
        for (f, t) in from.iter().zip(&to) {
            if !f.is_empty() && s[i..].starts_with(f.as_str()) {
                out.push_str(t);
                i += f.len();
                continue 'scan;
            }
        }
        let c = s[i..].chars().next().expect("inside the string");
        out.push(c);
        i += c.len_utf8();
    }
    Value::Str(out.into())
}

fn list_to_attrs(ev: &Evaluator, list: &[Thunk]) -> Value {
    let mut entries = Vec::new();
    for item in list {
        match ev.force_plain(item) {
            Value::Set(pair) => {
                let name = pair.get("name").map(|t| ev.force_plain(t));
                match (name, pair.get("value")) {
                    (Some(Value::Str(name)), Some(value)) => {
                        // The first of a name wins, as in Nix.
                        if !entries.iter().any(|(n, _): &(String, Thunk)| **n == *name) {
                            entries.push((name.to_string(), value.clone()));
                        }
                    }
                    (Some(Value::Unknown(u)), _) => return Value::Unknown(u),
                    _ => {
                        return not_known(
                            "`listToAttrs` of something that is not a name-value pair",
                        )
                    }
                }
            }
            other => return pass_unknown(other),
        }
    }
    Value::Set(Rc::new(Attrs::from_values(entries)))
}

fn map_attrs(ev: &Evaluator, f: &Thunk, s: &Thunk) -> Value {
    with_set(ev, s, |attrs| {
        Value::Set(Rc::new(Attrs {
            unnamed: Vec::new(),
            entries: attrs
                .entries
                .iter()
                .map(|(name, (value, place))| {
                    let (f, key, value) = (f.clone(), name.clone(), value.clone());
                    let mapped = Thunk::native(move |ev| {
                        let g = ev.call(ev.force(&f), Thunk::value(Value::Str(key.into())), None);
                        ev.call(g, value, None)
                    });
                    (name.clone(), (mapped, *place))
                })
                .collect(),
        }))
    })
}

fn fold(ev: &Evaluator, f: &Thunk, init: &Thunk, list: &Thunk, left: bool) -> Value {
    with_list(ev, list, |l| {
        let mut acc = init.clone();
        let items: Vec<&Thunk> = if left { l.iter().collect() } else { l.iter().rev().collect() };
        for item in items {
            let function = ev.force(f);
            let value = if left {
                let g = ev.call(function, acc, None);
                ev.call(g, item.clone(), None)
            } else {
                let g = ev.call(function, item.clone(), None);
                ev.call(g, acc, None)
            };
            acc = Thunk::value(value);
        }
        ev.force(&acc)
    })
}

fn recursive_update(_ev: &Evaluator, a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Set(x), Value::Set(y)) => {
            let mut entries = x.entries.clone();
            for (name, (value, place)) in &y.entries {
                let merged = match entries.get(name) {
                    Some((old, _)) => {
                        let (old, new) = (old.clone(), value.clone());
                        Thunk::native(move |ev| {
                            match (ev.force_plain(&old), ev.force_plain(&new)) {
                                (o @ Value::Set(_), n @ Value::Set(_)) => {
                                    recursive_update(ev, o, n)
                                }
                                (_, n) => n,
                            }
                        })
                    }
                    None => value.clone(),
                };
                entries.insert(name.clone(), (merged, *place));
            }
            Value::Set(Rc::new(Attrs {
                entries,
                unnamed: x.unnamed.iter().chain(&y.unnamed).cloned().collect(),
            }))
        }
        (Value::Unknown(u), _) | (_, Value::Unknown(u)) => Value::Unknown(u),
        (_, b) => b,
    }
}

/// The `lib` of nixpkgs, as far as configurations use it.
pub fn lib() -> Thunk {
    thread_local! {
        static LIB_VALUE: Thunk = {
            let mut entries: Vec<(String, Thunk)> = Vec::new();
            for (name, arity, run) in LIB.iter().chain(BUILTINS) {
                entries.push(((*name).to_owned(), builtin(name, *arity, *run)));
            }
            entries.push(("types".into(), unknown("option types are not read".into(), None)));
            entries.push(("nixosSystem".into(), builtin("nixosSystem", 1, |_, a| nixos_system(a[0].clone()))));
            let attrs = Rc::new(Attrs::from_values(entries));
            // `lib.strings.hasPrefix`, `lib.attrsets.mapAttrs'`, `lib.modules.mkIf`: the same.
            let mut with_parts = Attrs { entries: attrs.entries.clone(), unnamed: Vec::new() };
            for part in
                ["strings", "attrsets", "lists", "modules", "options", "trivial", "types", "filesystem"]
            {
                if part != "types" {
                    with_parts.entries.insert(part.into(), (Thunk::value(Value::Set(attrs.clone())), None));
                }
            }
            Thunk::value(Value::Set(Rc::new(with_parts)))
        };
    }
    LIB_VALUE.with(Thunk::clone)
}

/// `pkgs` as configurations use it without nixpkgs: its `lib`, `callPackage PATH ARGS` (the
/// package built from PATH: `{ __nmmmPackage = PATH; outPath; }`), and every other package as a
/// [`Value::Package`].
pub fn pkgs() -> Thunk {
    Thunk::value(Value::Package("pkgs".into()))
}

/// `pkgs.writeText NAME TEXT`: a file in the store whose text is known
/// (`{ outPath; __nmmmText = TEXT; }`), as `initialScript`s are written.
pub(super) fn write_text() -> Thunk {
    builtin("writeText", 2, |ev, a| {
        let name = ev.force_plain(&a[0]).as_str().unwrap_or("text").to_owned();
        let out = format!("/nix/store/00000000000000000000000000000000-{name}");
        set(vec![("outPath", Thunk::value(Value::Str(out.into()))), ("__nmmmText", a[1].clone())])
    })
}

/// `pkgs.callPackage PATH ARGS`: the package built from the repository's PATH.
pub(super) fn call_package() -> Thunk {
    builtin("callPackage", 2, |ev, a| match ev.force_plain(&a[0]) {
        Value::Path(p) => {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().trim_end_matches(".nix").to_owned())
                .unwrap_or_default();
            let out = format!("/nix/store/00000000000000000000000000000000-{name}");
            set(vec![
                ("__nmmmPackage", Thunk::value(Value::Path(p))),
                ("outPath", Thunk::value(Value::Str(out.into()))),
            ])
        }
        other => pass_unknown(other),
    })
}

/// What `nixpkgs.lib.nixosSystem { modules; specialArgs; }` stands for: the arguments, marked,
/// for [`crate::host`] to read the system's modules from.
pub fn nixos_system(args: Thunk) -> Value {
    set(vec![("__nmmmNixosSystem", Thunk::value(Value::Bool(true))), ("args", args)])
}

/// The names every file sees: `builtins`, the builtins also at the top level, `true`...
pub(super) fn install(_ev: &Evaluator, base: &Env) {
    let mut all = Vec::new();
    for (name, arity, run) in BUILTINS {
        let value = builtin(name, *arity, *run);
        all.push(((*name).to_owned(), value.clone()));
    }
    let mut builtins_set: Vec<(String, Thunk)> = all.clone();
    builtins_set.push(("storeDir".into(), Thunk::value(Value::Str("/nix/store".into()))));
    builtins_set.push(("currentSystem".into(), unknown("the system evaluating".into(), None)));
    builtins_set.push(("nixVersion".into(), unknown("Nix's version".into(), None)));
    base.bind(
        "builtins".into(),
        Thunk::value(Value::Set(Rc::new(Attrs::from_values(builtins_set)))),
    );
    for (name, value) in all {
        // Only these are at the top level in Nix; the others are `builtins.x`.
        if matches!(
            name.as_str(),
            "toString"
                | "import"
                | "map"
                | "throw"
                | "abort"
                | "baseNameOf"
                | "dirOf"
                | "isNull"
                | "removeAttrs"
                | "derivation"
                | "fetchTarball"
        ) {
            base.bind(name, value);
        }
    }
    base.bind("true".into(), Thunk::value(Value::Bool(true)));
    base.bind("false".into(), Thunk::value(Value::Bool(false)));
    base.bind("null".into(), Thunk::value(Value::Null));
}

/// A path of the repository written as a string (`"${self}/modules"`), as the path it names.
fn repository_path(ev: &Evaluator, value: Value) -> Value {
    match value {
        Value::Str(s) if std::path::Path::new(&*s).starts_with(ev.root()) => {
            Value::Path(PathBuf::from(&*s).into())
        }
        other => other,
    }
}

/// The groups of a match, as Nix lists them: each group's text, or null where it took no part.
fn groups_of(groups: &regex::Captures) -> Rc<[Thunk]> {
    groups
        .iter()
        .skip(1)
        .map(|g| Thunk::value(g.map_or(Value::Null, |m| Value::Str(m.as_str().into()))))
        .collect()
}
