"""The Korean-English glossary that every page follows.

Each :class:`Term` gives the English term, the Korean term the Korean pages use, the
section where it first appears, a one-line note in each language and the Korean variants to
avoid. This list is the single source of the book's Korean terms: the glossary page renders
:func:`markdown_table`, and ``tests/test_glossary.py`` checks that Korean pages which gloss a
term in parentheses ("잠재 변수(latent variable)") use the Korean term given here, and that no
``avoid`` variant appears in a Korean page, a Korean figure label or a Korean note here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .i18n import resolve_lang


@dataclass(frozen=True)
class Term:
    """One glossary entry.

    ``avoid`` lists Korean renderings of the same concept that the book does not use (other
    translations, transliterations, spacings). A variant counts as used where it starts a word
    (not preceded by a Hangul syllable) and ends one (followed by a non-Hangul character or a
    particle); a variant written with its own gloss, "검증 데이터(validation set)", is the
    glossary term of that gloss and is allowed.
    """

    en: str
    ko: str
    section: str
    note_en: str = ""
    note_ko: str = ""
    avoid: tuple[str, ...] = ()


TERMS: list[Term] = [
    # 19: the chapter opening
    Term("autoencoder", "오토인코더", "19", "a network trained to reproduce its input through a constrained code",
         "제약이 있는 코드를 거쳐 입력을 다시 만들어 내도록 학습하는 신경망"),
    Term("representation learning", "표현 학습", "19",
         "learning a useful description of the data without labels; the aim of an autoencoder",
         "레이블 없이 데이터를 잘 설명하는 표현을 배우는 일로, 오토인코더의 목적입니다"),
    Term("encoder", "인코더", "19", "the map z(x) from an input to its code",
         "입력을 코드로 보내는 사상 z(x)입니다"),
    Term("decoder", "디코더", "19", "the map y(z) from a code back to data space",
         "코드를 데이터 공간으로 되돌리는 사상 y(z)입니다"),
    Term("code", "코드", "19", "the encoder's output z(x); also called the latent representation",
         "인코더의 출력 z(x)로, 잠재 표현이라고도 부릅니다"),
    Term("latent representation", "잠재 표현", "19", "the code z(x), seen as a new description of x",
         "x를 새로 기술하는 값으로 본 코드 z(x)입니다"),
    Term("reconstruction error", "재구성 오차", "19", "the squared distance between output and input, eq. (19.1)",
         "출력과 입력 사이의 제곱 거리로, 식 (19.1)입니다"),
    Term("identity mapping", "항등 사상", "19", "y(x) = x; what an unconstrained autoencoder can learn, and useless",
         "y(x) = x인 사상으로, 제약 없는 오토인코더가 배울 수 있지만 쓸모가 없습니다"),
    Term("bottleneck", "병목", "19", "a code layer with fewer units than the input (M < D)",
         "입력보다 유닛이 적은 코드 층(M < D)입니다"),
    Term("undercomplete", "과소완전", "19", "a code smaller than the input; the bottleneck case",
         "코드가 입력보다 작은 경우로, 병목이 있는 구조입니다"),
    Term("overcomplete", "과잉완전", "19", "a code at least as large as the input; needs another constraint",
         "코드가 입력보다 작지 않은 경우로, 다른 제약이 필요합니다. '과대완전'이라고도 씁니다"),
    Term("deterministic autoencoder", "결정론적 오토인코더", "19", "encoder and decoder are fixed functions (19.1)",
         "인코더와 디코더가 확률 없이 정해진 함수인 오토인코더(19.1절)입니다"),
    Term("stochastic model", "확률적 모델", "19", "a model whose code or output is a random variable",
         "코드나 출력이 확률 변수인 모델입니다"),
    Term("latent variable", "잠재 변수", "19", "an unobserved variable z that explains the observed x",
         "관측된 x를 설명하는, 관측되지 않는 변수 z입니다"),
    Term("nonlinear latent-variable model", "비선형 잠재 변수 모델", "19",
         "p(x) = ∫ p(x|z,w) p(z) dz with p(x|z,w) given by a neural network",
         "p(x|z,w)를 신경망이 정하는 p(x) = ∫ p(x|z,w) p(z) dz 꼴의 모델입니다"),
    Term("gradient", "기울기", "19", "the vector of partial derivatives that backpropagation computes; the score is that of a log density",
         "역전파가 계산하는 편미분의 벡터입니다. 로그 밀도의 기울기가 스코어입니다", avoid=("그래디언트",)),
    Term("seed", "시드", "19", "the number that fixes a random number generator, so a run can be repeated",
         "난수 생성기의 출발점을 정하는 수로, 같은 실행을 되풀이할 수 있게 합니다", avoid=("씨앗", "시드 노트")),
    Term("held-out set", "평가 데이터", "19",
         "data kept out of training and used only to measure a model (a test set); hence held-out error",
         "학습에 쓰지 않고 모델을 재는 데만 쓰는 데이터입니다. 평가 오차, 평가 이미지처럼 씁니다",
         avoid=("검증 데이터", "검증 이미지", "검증 오차", "검증 손실", "검증 정확도", "검증 점", "검증 집합",
                "검증 숫자", "검증 입력", "검증 예", "검증 ELBO", "검증 −ELBO", "테스트 데이터", "테스트 이미지",
                "시험 데이터")),
    Term("test suite", "테스트", "19", "the automated checks (pytest) that re-run the book's claims and figures",
         "책의 주장과 그림을 다시 실행해 확인하는 자동 검사(pytest)입니다", avoid=("시험",)),
    Term("et al.", "외", "19", "'and others' after the first author in a citation: He et al. (2022)",
         "인용에서 첫 저자 뒤에 붙여 나머지 저자를 줄입니다. He 외(2022)처럼 씁니다", avoid=("et al.",)),
    # 19.1 deterministic autoencoders
    Term("latent space", "잠재 공간", "19.1", "the space in which the codes z live (dimension M)",
         "코드 z가 놓이는 M차원 공간입니다"),
    Term("data space", "데이터 공간", "19.1", "the D-dimensional space of the inputs x",
         "입력 x가 놓이는 D차원 공간입니다"),
    Term("generative model", "생성 모델", "19.1", "a model from which new data can be sampled",
         "새 데이터를 표본으로 뽑을 수 있는 모델입니다"),
    Term("principal component analysis", "주성분 분석", "19.1",
         "linear projection onto the directions of largest variance; abbreviated PCA",
         "분산이 가장 큰 방향으로의 선형 사영입니다. 한국어 글에서도 PCA라고 줄여 씁니다"),
    Term("principal component", "주성분", "19.1.1", "an eigenvector of the data covariance, ordered by eigenvalue",
         "데이터 공분산 행렬의 고유벡터로, 고윳값 순서로 정렬합니다"),
    Term("principal subspace", "주성분 부분 공간", "19.1.1", "the span of the top M principal components",
         "상위 M개 주성분이 생성하는 부분 공간입니다"),
    Term("singular value decomposition", "특잇값 분해", "19.1.1",
         "X = U S Vᵀ; gives PCA exactly, in finite time (SVD)",
         "X = U S Vᵀ 분해로, PCA를 유한 시간에 정확히 구합니다. SVD라고도 씁니다"),
    Term("linear autoencoder", "선형 오토인코더", "19.1.1", "an autoencoder with linear units; finds the PCA subspace",
         "선형 유닛만 쓰는 오토인코더로, PCA 부분 공간을 찾습니다"),
    Term("hidden unit", "은닉 유닛", "19.1.1", "a unit of a layer between input and output",
         "입력층과 출력층 사이 층의 유닛입니다"),
    Term("raw output", "원시 출력", "19.2.1", "a unit's output before its activation function (pre-activation)",
         "활성화 함수를 거치기 전의 출력입니다", avoid=("날 출력", "원래 출력")),
    Term("activation function", "활성화 함수", "19.1.1", "the nonlinearity applied by a unit, e.g. the sigmoid",
         "유닛이 적용하는 비선형 함수로, 시그모이드가 한 예입니다"),
    Term("principal angle", "주각", "19.1.1",
         "angles between two subspaces; all ≈ 0 when a linear AE has found the PCA subspace",
         "두 부분 공간 사이의 각으로, 선형 오토인코더가 PCA 부분 공간을 찾으면 모두 0에 가깝습니다"),
    Term("sigmoid", "시그모이드", "19.1.2", "the logistic function 1/(1 + e^(−a))",
         "로지스틱 함수 1/(1 + e^(−a))입니다"),
    Term("deep autoencoder", "심층 오토인코더", "19.1.2", "an autoencoder with nonlinear layers around the bottleneck",
         "병목 앞뒤에 비선형 층을 둔 오토인코더입니다"),
    Term("nonlinear PCA", "비선형 PCA", "19.1.2",
         "a deep autoencoder seen as PCA on a curved manifold; PCA is its linear special case",
         "곡면 위의 PCA로 본 심층 오토인코더이며, PCA는 그 선형 특수 경우입니다"),
    Term("validation set", "검증 데이터", "19.1.2",
         "held-out data used to choose between models or settings, unlike a held-out set that only measures",
         "모델이나 설정을 고르는 데 쓰는, 학습에서 떼어 둔 데이터입니다. 재기만 하는 평가 데이터와 다릅니다"),
    Term("standard deviation", "표준편차", "19.1.2", "σ, the square root of the variance",
         "분산의 제곱근 σ입니다", avoid=("표준 편차",)),
    Term("restricted Boltzmann machine", "제한 볼츠만 머신", "19.1.2",
         "a two-layer stochastic network once used to pre-train deep autoencoders layer by layer; RBM",
         "심층 오토인코더를 층마다 사전 학습하는 데 쓰이던 두 층짜리 확률적 신경망입니다. RBM",
         avoid=("제한 볼츠만 기계",)),
    Term("manifold", "다양체", "19.1.2", "a curved low-dimensional surface in data space",
         "데이터 공간 속의 휘어진 저차원 곡면입니다"),
    Term("sparse autoencoder", "희소 오토인코더", "19.1.3", "an autoencoder whose code is pushed toward few nonzero values",
         "코드의 0이 아닌 값이 적어지도록 학습하는 오토인코더입니다"),
    Term("sparsity", "희소성", "19.1.3", "most entries are zero", "대부분의 값이 0인 성질입니다"),
    Term("regularisation", "정규화", "19.1.3", "a term added to the error to prefer simpler solutions",
         "더 단순한 해를 선호하도록 오차에 더하는 항입니다. '규제'로 옮기기도 합니다"),
    Term("regularisation coefficient", "정규화 계수", "19.1.3", "λ, the weight of the regulariser in eq. (19.2)",
         "식 (19.2)에서 정규화 항의 무게 λ입니다"),
    Term("activation", "활성값", "19.1.3", "the output value z_k of a hidden unit; (19.2) penalises these, not weights",
         "은닉 유닛의 출력값 z_k로, 식 (19.2)는 가중치가 아니라 이 값을 벌합니다"),
    Term("L1 penalty", "L1 페널티", "19.1.3", "λ Σ |z_k|; drives many activations exactly to zero",
         "λ Σ |z_k| 항으로, 많은 활성값을 정확히 0으로 만듭니다"),
    Term("subgradient", "하방미분", "19.1.3", "a generalised gradient of |z| at 0; any value in [−1, 1]",
         "0에서 |z|의 일반화된 기울기로, [−1, 1]의 어느 값이든 됩니다. '서브그래디언트'라고도 씁니다"),
    Term("weight decay", "가중치 감쇠", "19.1.3", "an L2 penalty on the weights; it shrinks weights, not activations",
         "가중치에 거는 L2 페널티로, 활성값이 아니라 가중치를 줄입니다"),
    Term("dead unit", "죽은 유닛", "19.1.3", "a ReLU unit that outputs 0 for every input and so takes no part",
         "모든 입력에 0을 출력해 아무 역할도 하지 않는 ReLU 유닛입니다"),
    Term("automatic differentiation", "자동 미분", "19.1.3", "exact gradients computed by the framework (autograd)",
         "프레임워크가 정확한 기울기를 계산하는 방법(autograd)입니다"),
    Term("denoising autoencoder", "잡음 제거 오토인코더", "19.1.4",
         "trained to map a corrupted input back to the clean one (Vincent et al. 2008)",
         "손상된 입력을 깨끗한 입력으로 되돌리도록 학습합니다(Vincent 외 2008). '디노이징 오토인코더'라고도 씁니다"),
    Term("corruption", "손상", "19.1.4", "noise or masking applied to the input before encoding",
         "인코딩 전에 입력에 가하는 잡음이나 마스킹입니다"),
    Term("masking noise", "마스킹 잡음", "19.1.4", "each input set to zero with probability ν",
         "각 입력을 확률 ν로 0으로 만드는 손상입니다"),
    Term("Gaussian noise", "가우시안 잡음", "19.1.4", "zero-mean independent normal noise with variance σ²",
         "평균 0, 분산 σ²인 독립 정규 잡음입니다"),
    Term("score function", "스코어 함수", "19.1.4", "∇ₓ ln p(x), the direction in which the density rises",
         "밀도가 커지는 방향인 ∇ₓ ln p(x)입니다"),
    Term("score matching", "스코어 매칭", "19.1.4", "fitting a model of ∇ₓ ln p(x); a small-σ denoiser does it (Vincent 2011)",
         "∇ₓ ln p(x)를 모델로 맞추는 방법으로, 작은 σ의 잡음 제거기가 이를 수행합니다(Vincent 2011)"),
    Term("posterior mean", "사후 평균", "19.1.4", "E[x | x̃], the denoiser with the least expected squared error",
         "E[x | x̃]로, 기대 제곱 오차가 가장 작은 잡음 제거기입니다"),
    Term("Tweedie's formula", "트위디 공식", "19.1.4",
         "E[x | x̃] = x̃ + σ² ∇ ln p_σ(x̃): the optimal denoiser follows the score",
         "E[x | x̃] = x̃ + σ² ∇ ln p_σ(x̃)로, 최적의 잡음 제거기가 스코어를 따른다는 식입니다"),
    Term("diffusion model", "확산 모델", "19.1.4", "a generative model built from a chain of denoising steps (ch. 20)",
         "잡음 제거 단계를 이어 붙인 생성 모델입니다(20장)"),
    Term("masked autoencoder", "마스크 오토인코더", "19.1.5",
         "reconstructs masked image patches from the visible ones (He et al. 2022); MAE is used in Korean too",
         "보이는 패치로 가려진 이미지 패치를 복원합니다(He 외 2022). 한국어 글에서도 MAE라고 씁니다"),
    Term("Vision Transformer", "비전 트랜스포머", "19.1.5", "a transformer over image patches; ViT is used in Korean too",
         "이미지 패치를 토큰으로 쓰는 트랜스포머입니다. 한국어 글에서도 ViT라고 씁니다"),
    Term("transformer", "트랜스포머", "19.1.5", "a network of self-attention layers over a set of tokens",
         "토큰 집합 위에서 셀프 어텐션 층을 쌓은 신경망입니다"),
    Term("patch", "패치", "19.1.5", "a small square piece of an image, e.g. 16×16 pixels",
         "이미지를 나눈 작은 정사각형 조각(예: 16×16 픽셀)입니다"),
    Term("token", "토큰", "19.1.5", "one input vector of a transformer; here an embedded patch",
         "트랜스포머의 입력 벡터 하나로, 여기서는 임베딩된 패치입니다"),
    Term("mask token", "마스크 토큰", "19.1.5", "a shared learned vector standing in for each removed patch in the decoder",
         "디코더에서 제거된 패치 자리를 채우는, 학습되는 공유 벡터입니다"),
    Term("mask ratio", "마스킹 비율", "19.1.5", "the fraction r of patches removed; 75% in MAE",
         "제거하는 패치의 비율 r로, MAE에서는 75%입니다"),
    Term("position embedding", "위치 임베딩", "19.1.5", "a vector added to each token to tell where its patch was",
         "패치가 있던 자리를 알려 주려고 각 토큰에 더하는 벡터입니다"),
    Term("self-supervised learning", "자기 지도 학습", "19.1.5", "learning from targets made out of the data itself",
         "데이터 자체에서 만든 목표로 학습하는 방법입니다"),
    Term("pre-training", "사전 학습", "19.1.5", "training on a pretext task before the task of interest",
         "원하는 작업 전에 보조 과제로 먼저 학습하는 단계입니다"),
    Term("fine-tuning", "미세 조정", "19.1.5", "further training of the pre-trained encoder with a new head",
         "사전 학습한 인코더에 새 출력층을 붙여 더 학습하는 단계입니다. '파인튜닝'이라고도 씁니다"),
    Term("linear probing", "선형 프로빙", "19.1.5", "training only a linear classifier on frozen features",
         "고정한 특징 위에 선형 분류기만 학습해 표현을 평가하는 방법입니다"),
    Term("downstream task", "다운스트림 작업", "19.1.5", "the task the representation is finally used for",
         "학습한 표현을 최종적으로 쓰는 작업(분류, 검출 등)입니다"),
    # 19.2 variational autoencoders
    Term("variational autoencoder", "변분 오토인코더", "19",
         "a stochastic autoencoder that trains a latent-variable model by its ELBO (Kingma & Welling 2014); VAE",
         "증거 하한으로 잠재 변수 모델을 학습하는 확률적 오토인코더입니다(Kingma & Welling 2014). VAE라고도 씁니다"),
    Term("data point", "데이터 점", "19.1.3", "one example x_n of a data set", "데이터 집합의 예 하나 x_n입니다",
         avoid=("데이터 포인트",)),
    Term("dashed line", "파선", "19.2", "a line of short dashes (matplotlib ls='--')",
         "짧은 선분을 이어 그린 선입니다(matplotlib의 ls='--')"),
    Term("dotted line", "점선", "19.2", "a line of dots (matplotlib ls=':')", "점을 이어 찍은 선입니다(matplotlib의 ls=':')"),
    Term("likelihood function", "가능도 함수", "19.2", "p(x|w) as a function of the parameters w",
         "매개변수 w의 함수로 본 p(x|w)입니다. '우도'라고도 씁니다"),
    Term("log-likelihood", "로그 가능도", "19.2", "ln p(x|w); intractable for a VAE", "ln p(x|w)로, VAE에서는 직접 계산할 수 없습니다"),
    Term("marginal distribution", "주변 분포", "19.2", "p(x) after integrating out z", "z를 적분해 없앤 p(x)입니다"),
    Term("prior distribution", "사전 분포", "19.2", "p(z), here N(0, I)", "p(z)로, 여기서는 N(0, I)입니다"),
    Term("posterior distribution", "사후 분포", "19.2", "p(z|x,w), by Bayes' theorem (19.12)",
         "베이즈 정리(19.12)로 얻는 p(z|x,w)입니다"),
    Term("Bayes' theorem", "베이즈 정리", "19.2", "posterior = likelihood × prior / evidence",
         "사후 분포 = 가능도 × 사전 분포 / 증거입니다"),
    Term("evidence lower bound", "증거 하한", "19.2", "ℒ ≤ ln p(x); abbreviated ELBO", "ℒ ≤ ln p(x)인 하한으로, 한국어 글에서도 ELBO라고 씁니다"),
    Term("Kullback–Leibler divergence", "쿨백-라이블러 발산", "19.2", "KL(q‖p) ≥ 0, zero only when q = p",
         "KL(q‖p) ≥ 0이며 q = p일 때만 0입니다. 줄여서 KL 발산이라고 합니다"),
    Term("variational distribution", "변분 분포", "19.2", "the approximation q(z) to the posterior",
         "사후 분포를 근사하는 분포 q(z)입니다"),
    Term("variational inference", "변분 추론", "19.2", "approximating a posterior by optimising a bound over q",
         "q에 대해 하한을 최적화해 사후 분포를 근사하는 방법입니다"),
    Term("bimodal", "쌍봉", "19.2", "a distribution with two separate peaks (modes)",
         "봉우리(최빈값)가 둘로 떨어져 있는 분포의 모양입니다"),
    Term("approximation gap", "근사 간극", "19.2.1",
         "the part of ln p(x) − ELBO left by the best q of the chosen family (Cremer et al. 2018)",
         "고른 분포족에서 가장 좋은 q를 써도 남는 ln p(x) − ELBO의 몫입니다(Cremer 외 2018)"),
    Term("amortisation gap", "분할 상환 간극", "19.2.1",
         "the extra gap because one encoder must serve every x (Cremer et al. 2018)",
         "하나의 인코더가 모든 x를 맡기 때문에 더 생기는 간극입니다(Cremer 외 2018)"),
    Term("Gauss–Hermite quadrature", "가우스-에르미트 구적법", "19.2.1",
         "a weighted sum at fixed nodes that computes a Gaussian expectation almost exactly",
         "정해진 점에서의 가중합으로 가우시안 기댓값을 거의 정확히 계산하는 방법입니다"),
    Term("amortised inference", "분할 상환 추론", "19.2.1",
         "one encoder network q(z|x,φ) replaces a separate q_n for every data point",
         "하나의 인코더 네트워크 q(z|x,φ)가 데이터마다 따로 두던 q_n을 대신합니다. '상각 추론'이라고도 씁니다"),
    Term("multilayer perceptron", "다층 퍼셉트론", "19.2.1", "a fully connected feed-forward network; MLP",
         "완전 연결 순방향 신경망으로, MLP라고 줄여 씁니다"),
    Term("threshold", "문턱값", "19.2.1", "the cut-off of a test or criterion, e.g. Cov > 10⁻² for active units",
         "검사나 판정 기준이 되는 경계값으로, 활성 유닛의 Cov > 10⁻²가 그 예입니다. '기준'이라고도 씁니다"),
    Term("encoder network", "인코더 네트워크", "19.2.1", "the network q(z|x,φ) of a VAE; also called inference network",
         "VAE의 q(z|x,φ) 신경망으로, 추론 네트워크라고도 부릅니다"),
    Term("diagonal Gaussian", "대각 가우시안", "19.2.1", "a normal distribution with diagonal covariance, eq. (19.13)",
         "공분산이 대각 행렬인 정규 분포로, 식 (19.13)입니다"),
    Term("EM algorithm", "EM 알고리즘", "19.2.1", "alternates an exact E step and an M step; a VAE updates both jointly",
         "정확한 E 단계와 M 단계를 번갈아 수행합니다. VAE는 둘을 함께 갱신합니다"),
    Term("stochastic gradient descent", "확률적 경사 하강법", "19.2.1", "optimisation with noisy minibatch gradients; SGD",
         "미니배치의 잡음 섞인 기울기로 최적화하는 방법(SGD)입니다"),
    Term("Monte Carlo estimate", "몬테카를로 추정", "19.2.2", "an average over samples standing in for an expectation, eq. (19.16)",
         "기댓값을 표본 평균으로 대신하는 추정으로, 식 (19.16)입니다"),
    Term("optimiser", "옵티마이저", "19.2.2", "the update rule of training, e.g. SGD or Adam (torch.optim)",
         "SGD나 Adam처럼 학습에서 파라미터를 갱신하는 규칙(torch.optim)입니다", avoid=("최적화기",)),
    Term("reparameterisation trick", "재매개변수화 기법", "19.2.2", "z = μ + σε with ε ~ N(0, I), so gradients reach μ and σ",
         "ε ~ N(0, I)로 z = μ + σε라고 써서 기울기가 μ와 σ까지 전달되게 합니다"),
    Term("importance sampling", "중요도 샘플링", "19.2.2", "estimating p(x) with samples from q(z|x) reweighted by p/q",
         "q(z|x)의 표본에 p/q 가중치를 곱해 p(x)를 추정합니다"),
    Term("importance-weighted bound", "중요도 가중 하한", "19.2.2",
         "a bound tighter than the ELBO that rises toward ln p(x) with k samples (Burda et al. 2016); IWAE",
         "표본 수 k가 커질수록 ln p(x)에 다가가는, ELBO보다 촘촘한 하한입니다(Burda 외 2016). IWAE"),
    Term("posterior collapse", "사후 붕괴", "19.2.2", "q(z|x) ≈ p(z) for every x, so the code carries no information",
         "모든 x에 대해 q(z|x) ≈ p(z)가 되어 코드가 정보를 담지 못하는 현상입니다"),
    Term("active units", "활성 유닛", "19.2.2", "latent dimensions whose posterior mean varies with x (Burda et al. 2016)",
         "사후 평균이 x에 따라 변하는 잠재 차원입니다(Burda 외 2016)"),
    Term("β-VAE", "β-VAE", "19.2.2", "a VAE with the KL term weighted by β (Higgins et al. 2017)",
         "KL 항에 가중치 β를 곱한 VAE입니다(Higgins 외 2017)"),
    Term("annealing schedule", "어닐링 스케줄", "19.2.2", "raising β from small to its final value during training",
         "학습 중에 β를 작은 값에서 최종 값으로 키워 가는 일정입니다"),
    Term("conditional VAE", "조건부 VAE", "19.2.2", "a VAE whose encoder and decoder also receive a condition c, e.g. the class",
         "인코더와 디코더가 클래스 같은 조건 c를 함께 받는 VAE입니다"),
    Term("transposed convolution", "전치 합성곱", "19.2.2", "the upsampling layer of convolutional decoders",
         "합성곱 디코더에서 해상도를 키우는 층입니다"),
    Term("score-function estimator", "스코어 함수 추정량", "ex. 19.1",
         "∇E_q[G] = E_q[G ∇ ln q]; REINFORCE (Williams 1992), unbiased but high-variance",
         "∇E_q[G] = E_q[G ∇ ln q] 꼴의 추정량으로 REINFORCE라고도 합니다(Williams 1992). 편향은 없지만 분산이 큽니다"),
    Term("free bits", "자유 비트", "19.2.2",
         "a floor λ under each latent dimension's KL term: below λ nats it is not penalised (Kingma et al. 2016)",
         "잠재 차원마다 KL 항에 바닥 λ를 두어, λ nat 아래로는 벌점을 주지 않습니다(Kingma 외 2016)"),
    Term("warm-up", "워밍업", "19.2.2", "starting β at 0 and raising it over the first epochs (Bowman et al. 2016)",
         "β를 0에서 시작해 처음 몇 에포크 동안 키워 갑니다(Bowman 외 2016)"),
    Term("control variate", "제어 변량", "ex. 19.1",
         "a term with known mean subtracted to cut variance, e.g. a baseline subtracted from G in the "
         "score-function estimator",
         "평균을 아는 항을 빼서 분산을 줄이는 방법으로, 스코어 함수 추정량에서 G에서 빼는 기준값이 그 예입니다"),
    Term("baseline", "기준값", "ex. 19.1",
         "a reference value: the constant subtracted from G in the score-function estimator, or the mean-pixel "
         "error a model must beat",
         "비교의 기준이 되는 값으로, 스코어 함수 추정량에서 G에서 빼는 상수나 모델이 이겨야 할 평균 픽셀 오차가 "
         "그 예입니다", avoid=("기준선",)),
    Term("heteroscedastic", "이분산", "19.2.2", "noise whose variance changes with the input or the latent",
         "입력이나 잠재 변수에 따라 분산이 달라지는 잡음입니다"),
    Term("Cholesky factor", "촐레스키 인자", "ex. 19.3",
         "the lower-triangular L with positive diagonal such that Σ = L Lᵀ",
         "Σ = L Lᵀ를 만족하고 대각 성분이 양수인 하삼각 행렬 L입니다"),
    Term("change of variables", "변수 변환", "ex. 19.2",
         "the density of y = g(x) from that of x: p_y(y) = p_x(x) |dx/dy|",
         "x의 밀도에서 y = g(x)의 밀도를 구하는 규칙, p_y(y) = p_x(x) |dx/dy|입니다"),
    Term("Kolmogorov–Smirnov test", "콜모고로프-스미르노프 검정", "ex. 19.2",
         "a test of whether samples come from a given distribution, by the largest gap between CDFs",
         "표본이 주어진 분포에서 왔는지를 누적 분포 함수의 가장 큰 차이로 검정합니다"),
    Term("standard error", "표준 오차", "19.2", "the standard deviation of an estimate, e.g. s/√n for a sample mean",
         "추정값의 표준편차로, 표본 평균이면 s/√n입니다"),
    Term("entropy", "엔트로피", "ex. 19.5", "−E_q[ln q]; the ELBO is expected log joint plus entropy",
         "−E_q[ln q]로, ELBO는 결합 분포의 로그 기댓값에 엔트로피를 더한 값입니다"),
]


def _cell(text: str) -> str:
    """Escape a table cell: notes hold conditionals such as p(x|w), whose bar would end the cell."""
    return text.replace("|", r"\|")


def markdown_table(lang: str | None = None) -> str:
    """The glossary as a Markdown table, sorted by the term of the page's language."""
    lang = resolve_lang(lang)
    c = _cell
    if lang == "ko":
        head = "| 한국어 | English | 절 | 설명 |"
        rows = sorted(TERMS, key=lambda term: term.ko)
        body = [f"| {c(x.ko)} | {c(x.en)} | {x.section} | {c(x.note_ko)} |" for x in rows]
    else:
        head = "| English | 한국어 | Section | Note |"
        rows = sorted(TERMS, key=lambda term: term.en.lower())
        body = [f"| {c(x.en)} | {c(x.ko)} | {x.section} | {c(x.note_en)} |" for x in rows]
    return "\n".join([head, "|---|---|---|---|", *body])


def lookup(en: str) -> Term:
    """The entry for an English term (case-insensitive)."""
    for term in TERMS:
        if term.en.lower() == en.lower():
            return term
    raise KeyError(f"{en!r} is not in the glossary (aebook.glossary.TERMS)")
