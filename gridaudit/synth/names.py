"""Fake but plausible personal data (names, addresses, phones), so privacy rules can be tested.

Nothing here belongs to a real person: names are random pairs of common characters, addresses
random roads and numbers in an invented county.
"""

from __future__ import annotations

import numpy as np

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文辉建国志红梅鹏飞海燕晨浩宇欣怡子涵嘉琪俊")
BUSINESS = ["超市", "饭店", "五金店", "汽修厂", "理发店", "药店", "宾馆", "网吧", "服装店", "便利店"]
FIRM = ["机械", "纺织", "建材", "食品", "化工", "塑料", "印刷", "家具"]
ROADS = ["建设", "人民", "解放", "中山", "新华", "胜利", "和平", "东风", "文化", "光明", "朝阳", "青年"]
DISTRICTS = ["城关镇", "东湖街道", "南山镇", "西河乡", "北城街道", "开发区", "白沙镇", "清水乡"]


def _pick(rng: np.random.Generator, items: list[str], n: int) -> np.ndarray:
    return np.asarray(items, dtype=object)[rng.integers(0, len(items), n)]


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Surname plus one or two given-name characters."""
    second = np.where(rng.random(n) < 0.6, _pick(rng, GIVEN, n), "")
    return _pick(rng, SURNAMES, n) + _pick(rng, GIVEN, n) + second


def account_names(rng: np.random.Generator, categories: np.ndarray) -> np.ndarray:
    """A person for residential and farm accounts, a shop or firm for the others."""
    n = len(categories)
    people = person_names(rng, n)
    shops = _pick(rng, SURNAMES, n) + "记" + _pick(rng, BUSINESS, n)
    firms = "县" + _pick(rng, SURNAMES, n) + "氏" + _pick(rng, FIRM, n) + "有限公司"
    out = np.where(categories == "commercial", shops, people)
    return np.where(categories == "large_industrial", firms, out)


def addresses(rng: np.random.Generator, n: int) -> np.ndarray:
    number = rng.integers(1, 300, n).astype(str)
    building = rng.integers(1, 30, n).astype(str)
    room = (rng.integers(1, 20, n) * 100 + rng.integers(1, 5, n)).astype(str)
    return (
        _pick(rng, DISTRICTS, n) + _pick(rng, ROADS, n) + "路" + number.astype(object) + "号"
        + building.astype(object) + "栋" + room.astype(object) + "室"
    )  # fmt: skip


def phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """11-digit mobile numbers starting 13/15/17/18/19."""
    prefix = _pick(rng, ["13", "15", "17", "18", "19"], n)
    rest = rng.integers(0, 10**9, n)
    return prefix + np.char.zfill(rest.astype(str), 9).astype(object)
