import GridMapCore
import GridMapStores
import GridMapPlanning

/// Synthetic but plausible names. None of them is taken from the real district's records.
enum Names {
    static let placeFirst = Array(
        "东西南北新上下金银龙凤桂柳荣箭鹿屏驾天麒白静航文和兴光朝幸团" +
        "建育民红阳双立九古三长高洛甘翠碧青秀云锦瑞祥")
    static let placeSecond = Array(
        "山湖塘岭江桥湾坡冲苑城田园门亭岗台林岩河洲岸源峰盘马莲兰环石" +
        "安平华丰福旺宁明")
    static let surnames = Array(
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹" +
        "彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖" +
        "石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵" +
        "万覃")
    static let given = Array(
        "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文" +
        "辉海燕鹏飞琳丹斌宇浩凯婷雪梅鑫晨思佳欣怡俊峰志")
    static let roadSuffixes = ["路", "路", "路", "街", "大道", "巷"]
    static let compoundSuffixes = ["小区", "花园", "苑", "家园", "新村", "公寓"]
    static let companyKinds = [
        "物业服务有限公司", "环卫服务有限公司", "保安服务有限公司",
        "家政服务有限公司", "绿化工程有限公司", "水电维修服务部",
    ]
    static let venueKinds = [
        "小餐饮店", "小旅馆", "小网吧", "小美容美发店", "小歌舞娱乐场所",
        "小商店", "小学校", "小医疗诊所", "小生产加工企业",
    ]

    /// Two-character place names, all distinct, in a seeded order; suffixed by a number past
    /// the pool (only the 100x benchmark data gets there).
    static func places(_ count: Int, random: inout SeededRandom, avoiding used: Set<String> = []) -> [String] {
        var pool = placeFirst.flatMap { a in placeSecond.filter { $0 != a }.map { String(a) + String($0) } }
            .filter { !used.contains($0) }
        pool.shuffle(using: &random)
        if pool.isEmpty { pool = ["新"] }
        return (0..<count).map { i in
            i < pool.count ? pool[i] : pool[i % pool.count] + Names.chineseNumber(i / pool.count + 1)
        }
    }

    static func person(_ random: inout SeededRandom) -> String {
        String(random.pick(surnames)) + String(random.pick(given))
            + (random.unit() < 0.6 ? String(random.pick(given)) : "")
    }

    static func phone(_ random: inout SeededRandom) -> String {
        let prefix = random.pick([
            "130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158",
            "159", "177", "180", "181", "182", "183", "186", "187", "188", "189", "199",
        ])
        return prefix + (0..<8).map { _ in String(random.int(0...9)) }.joined()
    }

    static func chineseNumber(_ n: Int) -> String {
        let digits = Array("零一二三四五六七八九")
        if n <= 10 { return n == 10 ? "十" : String(digits[n]) }
        if n < 20 { return "十" + String(digits[n - 10]) }
        if n < 100 { return String(digits[n / 10]) + "十" + (n % 10 == 0 ? "" : String(digits[n % 10])) }
        return String(n)
    }
}
